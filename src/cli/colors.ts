// Colours for `sluice logs` on a terminal: the `time source[dyno]:` header coloured by dyno type.

const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];
const FIXED: Record<string, number> = { router: 34, web: 32, api: 93, logplex: 91, run: 96 };

function colourFor(type: string): number {
  const fixed = FIXED[type];
  if (fixed !== undefined) return fixed;
  let h = 0;
  for (let i = 0; i < type.length; i++) h = (h * 31 + type.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length];
}

/** Colours one session line; lines that do not look like `TIME source[dyno]: msg` are left alone. */
export function colourise(line: string): string {
  const close = line.indexOf(']: ');
  const open = line.lastIndexOf('[', close);
  if (close < 0 || open < 0) return line;
  const dyno = line.slice(open + 1, close);
  const type = dyno.split('.', 1)[0];
  const code = colourFor(type);
  const header = line.slice(0, close + 2);
  const space = header.indexOf(' ');
  return `\x1b[2m${header.slice(0, space)}\x1b[0m\x1b[${code}m${header.slice(space)}\x1b[0m${line.slice(close + 2)}`;
}

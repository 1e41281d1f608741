// The dependency rule of docs/architecture.md, checked on every import of every source file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './helpers/sluice.js';

/**
 * What each layer (a folder of src/) may import besides itself. The table is the rule of
 * docs/architecture.md ("The dependency rule"); a folder not listed may import anything but
 * api/, cli/ and server.ts, like every layer below them.
 */
export const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  wire: ['core'],
  http: ['core'],
  telemetry: ['core'],
  engine: ['core'],
  store: ['core', 'engine', 'telemetry'],
  router: ['core', 'store'],
  history: ['core', 'wire', 'router', 'store', 'engine'],
  tail: ['core', 'wire', 'router', 'history', 'engine'],
  drains: ['core', 'wire', 'router', 'store', 'telemetry'],
  ingest: ['core', 'wire', 'http', 'router', 'store', 'telemetry'],
  addons: ['core', 'store', 'drains'],
  cluster: ['core', 'wire', 'engine', 'store', 'history', 'router', 'tail', 'drains', 'telemetry'],
  shipper: ['core', 'wire'],
  pino: ['core', 'shipper'],
};
/** Only these may import api/ (server.ts wires it; cli/ reaches the server through `serve`). */
const TOP = new Set(['api', 'cli', 'server.ts']);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.ts$/.test(e.name) && !/\.(test|case)\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative module specifiers of static imports, re-exports and dynamic `import('…')`. */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    const s = m[1] ?? m[2] ?? m[3];
    if (s?.startsWith('.')) specs.push(s);
  }
  return specs;
}

/** The layer of a file under src/: its top folder, or `server.ts`. */
function layerOf(srcRel: string): string {
  const first = srcRel.split(path.sep)[0];
  return first.endsWith('.ts') || first.endsWith('.js') ? first.replace(/\.js$/, '.ts') : first;
}

export function violations(srcDir: string): string[] {
  const bad: string[] = [];
  for (const file of sources(srcDir)) {
    const from = layerOf(path.relative(srcDir, file));
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = path.relative(srcDir, path.resolve(path.dirname(file), spec));
      if (target.startsWith('..')) continue; // outside src/ (none today)
      const to = layerOf(target);
      if (to === from) continue;
      const where = `${path.relative(srcDir, file)} imports ${spec}`;
      const allowed = ALLOWED[from];
      if (allowed !== undefined ? !allowed.includes(to) : TOP.has(to) && !TOP.has(from)) bad.push(`${where} (${from} → ${to})`);
      else if (TOP.has(to) && !TOP.has(from)) bad.push(`${where} (a lower layer importing ${to})`);
    }
  }
  return bad;
}

test('imports point one way: no layer imports one above it (docs/architecture.md)', () => {
  const bad = violations(path.join(repoRoot, 'src'));
  assert.deepEqual(bad, [], `upward imports:\n${bad.join('\n')}`);
});

test('the import scanner sees static, re-exported and dynamic imports', () => {
  const text = [
    "import { a } from '../api/app.js';",
    "import type { B } from '../cli/main.js';",
    "export { c } from '../core/ids.js';",
    "const m = await import('../cluster/node.js');",
    "import '../telemetry/side-effect.js';",
    "import pino from 'pino';",
  ].join('\n');
  assert.deepEqual(importsOf(text), ['../api/app.js', '../cli/main.js', '../core/ids.js', '../cluster/node.js', '../telemetry/side-effect.js']);
});

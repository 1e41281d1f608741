// The catalogue of named counters and gauges, rendered in Prometheus text format at /metrics.

type Labels = Record<string, string>;

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, number>; // key: rendered label set
  collect?: () => Iterable<[Labels, number]>;
}

function renderLabels(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/**
 * Label values are never secrets (tokens, keys, URLs with passwords): callers pass drain ids,
 * transports and reasons only. Counters are keyed by their rendered label set so that
 * incrementing an existing series allocates nothing but the key.
 */
export class Metrics {
  private families = new Map<string, Family>();

  counter(name: string, help: string): (labels?: Labels, by?: number) => void {
    const f = this.family(name, help, 'counter');
    return (labels, by = 1) => {
      const key = renderLabels(labels);
      f.values.set(key, (f.values.get(key) ?? 0) + by);
    };
  }

  /** A gauge read when scraped. */
  gauge(name: string, help: string, collect: () => Iterable<[Labels, number]> | number): void {
    this.collected(name, help, 'gauge', collect);
  }

  /** A counter kept by its owner (a plain number field) and read when scraped: nothing on the hot path. */
  counterFrom(name: string, help: string, collect: () => Iterable<[Labels, number]> | number): void {
    this.collected(name, help, 'counter', collect);
  }

  private collected(name: string, help: string, type: Family['type'], collect: () => Iterable<[Labels, number]> | number): void {
    const f = this.family(name, help, type);
    f.collect = () => {
      const v = collect();
      return typeof v === 'number' ? [[{}, v]] : v;
    };
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [labels, v] of f.values) out.push(`${name}${labels} ${v}`);
      if (f.collect) for (const [labels, v] of f.collect()) out.push(`${name}${renderLabels(labels)} ${v}`);
    }
    return `${out.join('\n')}\n`;
  }

  private family(name: string, help: string, type: Family['type']): Family {
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { help, type, values: new Map() }));
    return f;
  }
}

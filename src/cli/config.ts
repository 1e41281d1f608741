// Where the CLI finds its server and key: SLUICE_URL/SLUICE_API_KEY, else the file `sluice login` wrote.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface CliConfig {
  url: string;
  apiKey: string | undefined;
  /** Per-request timeout; SLUICE_TIMEOUT (seconds) or 10 s when absent. */
  timeoutMs?: number;
}

export function configPath(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'sluice', 'config.json');
}

export function loadConfig(): CliConfig {
  let file: Partial<CliConfig> = {};
  try {
    file = JSON.parse(readFileSync(configPath(), 'utf8')) as Partial<CliConfig>;
  } catch {
    // No file yet: environment or defaults.
  }
  return {
    url: (process.env.SLUICE_URL || file.url || 'http://127.0.0.1:8601').replace(/\/+$/, ''),
    apiKey: process.env.SLUICE_API_KEY || file.apiKey,
  };
}

/** Written with mode 0600: the file holds a secret. */
export function saveConfig(cfg: CliConfig): string {
  const path = configPath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  return path;
}

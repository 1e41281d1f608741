// The configuration records Sluice keeps: apps, log tokens, domains, API keys, drains.

export interface AppRecord {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface TokenRecord {
  id: string;
  app_id: string;
  /** The source name lines written with this token get (`app`, `heroku`, …). */
  name: string;
  /** `t.<uuid>`: the credential itself. */
  token: string;
  created_at: string;
}

export interface DomainRecord {
  app_id: string;
  hostname: string;
  created_at: string;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** sha256 of the key; the key itself is shown once and never stored. */
  hash: string;
  admin: boolean;
  /** App ids a non-admin key may see and change. */
  app_ids: string[];
  created_at: string;
}

export interface DrainRecord {
  id: string;
  app_id: string;
  /** `d.<uuid>`: proves to the receiver which drain a line came from. */
  token: string;
  url: string;
  /** The add-on that owns this drain, or null for a user's drain. */
  addon_id: string | null;
  /** `rfc5424`: strict RFC 5424 frames (a nil STRUCTURED-DATA) for an HTTP drain; absent or null: Heroku's. */
  format?: 'rfc5424' | null;
  created_at: string;
  updated_at: string;
}

export interface AddonServiceRecord {
  /** The manifest `id` (slug), e.g. `papertrail`. */
  id: string;
  name: string;
  /** The whole validated manifest as JSON; holds the partner's API password (a secret). */
  manifest: string;
  created_at: string;
}

export interface AddonRecord {
  id: string;
  /** Like `papertrail-curly-14926`. */
  name: string;
  app_id: string;
  service_id: string;
  /** Plan name without the service prefix, e.g. `choklad`. */
  plan: string;
  state: 'provisioning' | 'provisioned' | 'deprovisioned';
  config_vars: Record<string, string>;
  /** The partner's own id for this installation (its provision response `id`). */
  provider_id: string | null;
  /** The `d.…` token sent in the provision call, when the service requires `syslog_drain`. */
  drain_token: string | null;
  /** The log token made for `log_input_url`, when the service requires `log_input`. */
  log_token_id: string | null;
  created_at: string;
  updated_at: string;
}

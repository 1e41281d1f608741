// JSON shapes of API objects, Heroku Platform API v3 compatible.
import type { AppRecord, TokenRecord } from '../store/records.js';

/** The one account that owns every app (Sluice has API keys, not users); `.invalid` never resolves. */
export const OWNER = { id: '00000000-0000-4000-8000-00000000a11c', email: 'admin@sluice.invalid' };
const REGION = { id: '00000000-0000-4000-8000-000000000005', name: 'us' };
const STACK = { id: '00000000-0000-4000-8000-00000000057c', name: 'sluice' };

/**
 * Heroku's `app` object with every field the `heroku` CLI reads (apps, apps:info, apps:create).
 * Sluice builds and runs nothing, so sizes are 0, there is no git URL, and `web_url` is the app's
 * first domain (router logs) when it has one.
 */
export const appView = (a: AppRecord, o: { webUrl?: string | null } = {}) => ({
  id: a.id,
  name: a.name,
  generation: { name: 'cedar' },
  acm: false,
  archived_at: null,
  buildpack_provided_description: null,
  build_stack: STACK,
  create_status: 'complete',
  git_url: null,
  internal_routing: null,
  locked: false,
  maintenance: false,
  organization: null,
  owner: OWNER,
  region: REGION,
  released_at: null,
  repo_size: 0,
  slug_size: 0,
  space: null,
  stack: STACK,
  team: null,
  web_url: o.webUrl ?? null,
  created_at: a.created_at,
  updated_at: a.updated_at,
});

export const tokenView = (t: TokenRecord) => ({ id: t.id, name: t.name, token: t.token, created_at: t.created_at });

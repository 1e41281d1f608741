// JSON shapes of API objects, Heroku Platform API v3 compatible.
import type { AppRecord, TokenRecord } from '../store/records.js';

export const appView = (a: AppRecord) => ({
  id: a.id,
  name: a.name,
  generation: { name: 'cedar' },
  created_at: a.created_at,
  updated_at: a.updated_at,
});

export const tokenView = (t: TokenRecord) => ({ id: t.id, name: t.name, token: t.token, created_at: t.created_at });

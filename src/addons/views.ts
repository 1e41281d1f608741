// JSON shapes of add-on services and add-ons (Heroku Platform API v3 `addon-service`, `add-on`).
import type { ConfigStore } from '../store/contract.js';
import type { AddonRecord, AddonServiceRecord } from '../store/records.js';
import { storedManifest } from './manifest.js';

/** Never shows api.password or api.sso_salt: those stay between Sluice and the partner. */
export function serviceView(s: AddonServiceRecord) {
  const m = storedManifest(s.manifest);
  return {
    id: s.id,
    name: s.id,
    human_name: m.name ?? s.id,
    plans: (m.plans ?? []).map((p) => ({ name: `${s.id}:${p.name}` })),
    requires: m.api.requires,
    config_vars: m.api.config_vars,
    base_url: m.api.production.base_url,
    created_at: s.created_at,
  };
}

/**
 * `config_vars` lists names only, as Heroku does: values may hold credentials and are read from
 * `GET /addons/{addon}/config` by those who may manage the app.
 */
export function addonView(a: AddonRecord, store: ConfigStore) {
  const app = store.getApp(a.app_id);
  return {
    id: a.id,
    name: a.name,
    addon_service: { id: a.service_id, name: a.service_id },
    plan: { id: `${a.service_id}:${a.plan}`, name: `${a.service_id}:${a.plan}` },
    app: { id: a.app_id, name: app?.name ?? null },
    state: a.state,
    config_vars: Object.keys(a.config_vars).sort(),
    provider_id: a.provider_id,
    // Sluice bills nothing: the CLI shows these as "free".
    billed_price: FREE,
    actions: [],
    web_url: null,
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

const FREE = { cents: 0, contract: false, unit: 'month' };

/** With `plan.price`, what `Accept-Expansion: plan` asks for (the heroku CLI's addons commands). */
export function addonExpandedView(a: AddonRecord, store: ConfigStore) {
  const v = addonView(a, store);
  return { ...v, plan: { ...v.plan, price: { cents: 0, unit: 'month' } } };
}

/**
 * Heroku's `add-on-attachment`: every Sluice add-on has exactly one, to its own app, named by the
 * manifest's config var prefix (e.g. `LOG_SEARCH`); its id is the add-on's.
 */
export function attachmentView(a: AddonRecord, store: ConfigStore) {
  const app = store.getApp(a.app_id);
  const svc = store.getAddonService(a.service_id);
  const prefix = svc ? storedManifest(svc.manifest).api.config_vars_prefix : undefined;
  const appRef = { id: a.app_id, name: app?.name ?? null };
  return {
    id: a.id,
    name: prefix ?? a.service_id.toUpperCase().replace(/-/g, '_'),
    addon: { id: a.id, name: a.name, app: appRef },
    app: appRef,
    namespace: null,
    web_url: null,
    log_input_url: null,
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

export const configView = (a: AddonRecord) =>
  Object.entries(a.config_vars)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([name, value]) => ({ name, value }));

// The JSON of a log drain (Heroku `log-drain`), with the URL's password shown only to its managers.
import type { ConfigStore } from '../store/contract.js';
import type { DrainRecord } from '../store/records.js';

export function drainView(d: DrainRecord, store: ConfigStore) {
  const addon = d.addon_id ? store.getAddon(d.addon_id) : undefined;
  const app = store.getApp(d.app_id);
  return {
    addon: addon ? { id: addon.id, name: addon.name } : null,
    app: app ? { id: app.id, name: app.name } : null,
    created_at: d.created_at,
    id: d.id,
    token: d.token,
    updated_at: d.updated_at,
    url: d.url,
    // Sluice's addition (strict RFC 5424 frames); absent for Heroku's default format.
    ...(d.format ? { format: d.format } : {}),
  };
}

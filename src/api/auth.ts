// Who is calling: API keys (admin or limited to apps) from Bearer or Basic credentials.
import type { IncomingMessage } from 'node:http';
import { SluiceError } from '../core/errors.js';
import { hashSecret, safeEqual } from '../core/secret.js';
import { credentials } from '../http/credentials.js';
import type { ConfigStore } from '../store/contract.js';
import type { AppRecord } from '../store/records.js';

export interface Principal {
  kind: 'admin' | 'key' | 'partner';
  /** Shown in the app's log as the actor of a change; never a secret. */
  name: string;
  /** For limited keys: the app ids it may see and change. */
  appIds?: ReadonlySet<string>;
  /** For partners: the add-on service (manifest id) they authenticated as. */
  serviceId?: string;
}

export class Auth {
  constructor(
    private readonly store: ConfigStore,
    /** The admin key from SLUICE_API_KEY, when set; compared in constant time, never stored. */
    private readonly envAdminKey: string | undefined,
  ) {}

  /** The caller, or a 401 error. */
  principal(req: IncomingMessage): Principal {
    const cred = credentials(req);
    if (!cred || !cred.secret) throw new SluiceError('unauthorized', 'Invalid credentials provided.');
    if (this.envAdminKey !== undefined && safeEqual(cred.secret, this.envAdminKey)) {
      return { kind: 'admin', name: 'admin' };
    }
    // Keys are looked up by their sha256: the lookup's timing can only reveal hash bits.
    const key = this.store.apiKeyByHash(hashSecret(cred.secret));
    if (key) {
      return key.admin
        ? { kind: 'admin', name: key.name }
        : { kind: 'key', name: key.name, appIds: new Set(key.app_ids) };
    }
    const partner = cred.user ? this.partner(cred.user, cred.secret) : undefined;
    if (partner) return partner;
    throw new SluiceError('unauthorized', 'Invalid credentials provided.');
  }

  /** The app a caller may use: 404 when it doesn't exist or the caller may not know of it. */
  app(p: Principal, idOrName: string): AppRecord {
    const app = this.store.getApp(idOrName);
    if (!app || !mayUseApp(p, app.id)) throw new SluiceError('not_found', "Couldn't find that app.", 'app');
    return app;
  }

  /** An add-on partner: Basic `manifest id:api.password` (SPEC §6), the password compared in constant time. */
  private partner(serviceId: string, secret: string): Principal | undefined {
    const svc = this.store.getAddonService(serviceId);
    if (!svc) return undefined;
    const password = (JSON.parse(svc.manifest) as { api?: { password?: unknown } }).api?.password;
    if (typeof password !== 'string' || !safeEqual(secret, password)) return undefined;
    return { kind: 'partner', name: svc.id, serviceId: svc.id };
  }

  requireAdmin(p: Principal): void {
    if (p.kind !== 'admin') throw new SluiceError('forbidden', 'This action needs the admin API key.');
  }
}

export function mayUseApp(p: Principal, appId: string): boolean {
  return p.kind === 'admin' || (p.kind === 'key' && p.appIds !== undefined && p.appIds.has(appId));
}

// The add-on lifecycle on the platform side (SPEC §6): provision, asynchronous completion, plan
// change, drain moves and removal, each step leaving a line in the app's log.
//
//   create ──POST base──▶ 200 ──▶ provisioned ──PUT base/id──▶ (plan changed)
//      │                  202 ──▶ provisioning ──partner: PATCH config, POST actions/provision──▶ provisioned
//      │                               └─ not finished within the provisioning timeout (12 h) ──▶ removed
//      └─ error/timeout/bad reply ──▶ nothing kept (token, drain, add-on removed; partner told to DELETE
//                                     when it had answered with an id)
//   remove ──DELETE base/id──▶ drain, log token and add-on gone
import { z } from 'zod';
import { redactUrl } from '../core/redact.js';
import { SluiceError } from '../core/errors.js';
import { newDrainToken, newId, newLogToken } from '../core/ids.js';
import { validateDrainUrl, type SelfListeners } from '../drains/url.js';
import type { ConfigStore } from '../store/contract.js';
import type { AddonRecord, AddonServiceRecord, AppRecord, DrainRecord } from '../store/records.js';
import { callPartner, DEFAULT_POLICY, oneLine, type CallPolicy, type PartnerEndpoint } from './client.js';
import { defaultPrefix, planNames, requires, storedManifest, type Manifest } from './manifest.js';
import { ADDON_NAME, addonName } from './names.js';

/** Writes one `heroku[api]` line into an app's log; the caller appends the actor. */
export type Note = (appId: string, text: string) => void;

export interface ProvisionerOptions {
  /** Base of `callback_url` and `log_input_url` (read at call time: known only once listening). */
  publicUrl: () => string;
  /** Refuse loopback and private drain targets (`--deny-private-drains`). */
  denyPrivateDrains: () => boolean;
  /** This server's own listeners: a partner's drain may not point at them (a loop). */
  self?: () => SelfListeners;
  policy?: Partial<CallPolicy>;
  /** How long an add-on may stay `provisioning` (a 202) before it is failed and removed. */
  provisioningTimeoutMs?: number;
}

/** Heroku: "Add-ons that take longer than 12 hours to provision … will be considered failed and removed." */
export const DEFAULT_PROVISIONING_TIMEOUT_MS = 12 * 3_600_000;

export interface CreateRequest {
  service: string;
  plan?: string;
  name?: string;
  options?: Record<string, string>;
}

const ConfigMap = z.record(z.string(), z.string({ error: 'config values must be strings' }));
const ProvisionReply = z.looseObject({
  id: z.union([z.string().min(1), z.number()], { error: 'the reply has no "id"' }).transform(String),
  config: ConfigMap.optional(),
  log_drain_url: z.string({ error: 'log_drain_url must be a string' }).nullish(),
  message: z.string().nullish(),
});
const AsyncReply = ProvisionReply.partial({ id: true });
const PlanReply = z.looseObject({ config: ConfigMap.optional(), message: z.string().nullish() });

/** A provider failure, told to the user; never names a secret. */
const failed = (id: 'invalid_params' | 'unavailable', text: string) => new SluiceError(id, text);

export class Provisioner {
  private readonly policy: CallPolicy;
  readonly provisioningTimeoutMs: number;
  /** Add-ons whose provision call is under way in this process: not stale, whatever their age. */
  private readonly calling = new Set<string>();

  constructor(
    private readonly store: ConfigStore,
    private readonly opts: ProvisionerOptions,
  ) {
    this.policy = { ...DEFAULT_POLICY, ...opts.policy };
    this.provisioningTimeoutMs = opts.provisioningTimeoutMs ?? DEFAULT_PROVISIONING_TIMEOUT_MS;
  }

  service(id: string): { record: AddonServiceRecord; manifest: Manifest } {
    const record = this.store.getAddonService(id);
    if (!record) throw new SluiceError('not_found', "Couldn't find that add-on service.", 'addon_service');
    return { record, manifest: storedManifest(record.manifest) };
  }

  async create(app: AppRecord, req: CreateRequest, note: Note): Promise<{ addon: AddonRecord; message?: string }> {
    const { manifest } = this.service(req.service);
    const plan = this.pickPlan(manifest, req.plan);
    if (!requires(manifest, 'many_per_app') && this.store.listAddons(app.id).some((a) => a.service_id === manifest.id)) {
      throw new SluiceError('conflict', `${app.name} already has ${manifest.id}; it can be attached once per app.`);
    }
    const name = req.name ?? addonName(manifest.id, (n) => this.store.getAddon(n) !== undefined);
    if (!ADDON_NAME.test(name)) throw new SluiceError('invalid_params', 'name: must be lowercase letters, digits and dashes');
    if (this.store.getAddon(name)) throw new SluiceError('conflict', `Name ${name} is already taken.`);

    const now = new Date().toISOString();
    const addon: AddonRecord = {
      id: newId(),
      name,
      app_id: app.id,
      service_id: manifest.id,
      plan,
      state: 'provisioning',
      config_vars: {},
      provider_id: null,
      drain_token: requires(manifest, 'syslog_drain') ? newDrainToken() : null,
      log_token_id: null,
      created_at: now,
      updated_at: now,
    };
    // Until the partner has answered, this add-on is not stale whatever its age (expireStale).
    this.calling.add(addon.id);
    try {
      // The log token exists before the call: a partner may write into the app's log while answering.
      let logInputUrl: string | undefined;
      if (requires(manifest, 'log_input')) {
        const token = { id: newId(), app_id: app.id, name, token: newLogToken(), created_at: now };
        await this.store.putToken(token);
        addon.log_token_id = token.id;
        const u = new URL('/logs', this.opts.publicUrl());
        u.username = 'token';
        u.password = token.token;
        logInputUrl = u.toString();
      }
      await this.store.putAddon(addon);
      note(app.id, `Attaching add-on ${name} (${manifest.id}:${plan})`);

      const payload = {
        uuid: addon.id,
        name,
        plan,
        region: 'amazon-web-services::us-east-1',
        callback_url: `${this.opts.publicUrl()}/addons/${addon.id}`,
        options: req.options ?? {},
        ...(addon.drain_token ? { log_drain_token: addon.drain_token } : {}),
        ...(logInputUrl ? { log_input_url: logInputUrl } : {}),
      };
      return await this.finishCreate(app, addon, manifest, payload, note);
    } finally {
      this.calling.delete(addon.id);
    }
  }

  /** The provision call and what its answer makes (drain, state); nothing is left when it fails. */
  private async finishCreate(
    app: AppRecord,
    addon: AddonRecord,
    manifest: Manifest,
    payload: Record<string, unknown>,
    note: Note,
  ): Promise<{ addon: AddonRecord; message?: string }> {
    const { name } = addon;
    const reply = await callPartner(endpoint(manifest), 'POST', undefined, payload, this.policy, {
      // It answered 2xx after we gave up (or made a second installation on a retry): that
      // installation has no add-on here, so the partner is told to remove it.
      onLate: (late) => void this.removeLate(manifest, addon, late.body, note),
    });
    if (!reply.ok) {
      await this.discard(addon);
      const why = `${manifest.id} ${reply.reason}`;
      note(app.id, `Add-on ${name} failed to provision: ${why}`);
      throw failed(reply.status !== undefined && reply.status < 500 ? 'invalid_params' : 'unavailable', `Could not provision ${name}: ${why}.`);
    }

    const isAsync = reply.status === 202;
    const parsed = (isAsync ? AsyncReply : ProvisionReply).safeParse(reply.body);
    const problem = !parsed.success
      ? `${parsed.error.issues[0].path.join('.') || 'reply'}: ${parsed.error.issues[0].message}`
      : (checkConfig(manifest, parsed.data.config ?? {}) ??
        (parsed.data.log_drain_url ? await this.drainProblem(manifest, app.id, parsed.data.log_drain_url) : undefined));
    const providerId = parsed.success ? parsed.data.id : undefined;
    if (problem || !parsed.success) {
      // The partner made something on its side: ask it to remove it, so nothing half-made remains.
      if (providerId !== undefined) await callPartner(endpoint(manifest), 'DELETE', providerId, undefined, this.policy);
      await this.discard(addon);
      const why = `${manifest.id} answered with an unusable reply (${problem})`;
      note(app.id, `Add-on ${name} failed to provision: ${why}`);
      throw failed('invalid_params', `Could not provision ${name}: ${why}.`);
    }

    const r = parsed.data;
    // The app (or this add-on) may have been deleted while the partner was answering: then the
    // partner's installation is removed again rather than attached to nothing.
    if (await this.undoIfGone(app, addon, manifest, providerId, note)) {
      throw new SluiceError('not_found', `${app.name} was deleted while ${manifest.id} was provisioning ${name}; nothing was kept.`, 'app');
    }
    Object.assign(addon, {
      provider_id: providerId ?? null,
      config_vars: r.config ?? {},
      state: isAsync ? 'provisioning' : 'provisioned',
      updated_at: new Date().toISOString(),
    });
    try {
      if (r.log_drain_url) await this.addDrain(addon, r.log_drain_url, note);
      await this.store.putAddon(addon);
    } catch (err) {
      // A store failure after the partner said yes: undo both sides rather than keep half of it.
      await callPartner(endpoint(manifest), 'DELETE', providerId ?? addon.id, undefined, this.policy);
      await this.discard(addon).catch(() => undefined);
      throw err;
    }
    if (await this.undoIfGone(app, addon, manifest, providerId, note)) {
      throw new SluiceError('not_found', `${app.name} was deleted while ${manifest.id} was provisioning ${name}; nothing was kept.`, 'app');
    }
    note(app.id, isAsync ? `Add-on ${name} is provisioning (the provider will finish it)` : `Add-on ${name} provisioned`);
    return { addon, message: r.message ? oneLine(r.message) : undefined };
  }

  /** True (and the partner told DELETE, the platform side removed) when the app or add-on is gone. */
  private async undoIfGone(app: AppRecord, addon: AddonRecord, manifest: Manifest, providerId: string | undefined, note: Note): Promise<boolean> {
    if (this.store.getApp(app.id) && this.store.getAddon(addon.id)) return false;
    await callPartner(endpoint(manifest), 'DELETE', providerId ?? addon.id, undefined, this.policy);
    await this.discard(addon).catch(() => undefined);
    if (this.store.getApp(app.id)) note(app.id, `Add-on ${addon.name} was removed while ${manifest.id} was provisioning it; ${manifest.id} was told to remove it`);
    return true;
  }

  /** A partner's late 2xx to a provision call we had given up on: its installation is removed. */
  private async removeLate(manifest: Manifest, addon: AddonRecord, body: unknown, note: Note): Promise<void> {
    const raw = (body as { id?: unknown } | null)?.id;
    const id = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : addon.id;
    const current = this.store.getAddon(addon.id);
    if (current && current.provider_id === id) return; // it is the installation we kept
    const reply = await callPartner(endpoint(manifest), 'DELETE', id, undefined, this.policy);
    if (this.store.getApp(addon.app_id)) {
      note(
        addon.app_id,
        `Add-on ${addon.name}: ${manifest.id} answered after the timeout; ${reply.ok ? 'told it to remove that installation' : `telling it to remove that installation failed: ${manifest.id} ${reply.reason}`}`,
      );
    }
  }

  async changePlan(addon: AddonRecord, wanted: string, note: Note): Promise<{ addon: AddonRecord; message?: string }> {
    const { manifest } = this.service(addon.service_id);
    const plan = this.pickPlan(manifest, wanted);
    if (plan === addon.plan) return { addon };
    const reply = await callPartner(endpoint(manifest), 'PUT', addon.provider_id ?? addon.id, { plan, uuid: addon.id }, this.policy);
    const parsed = reply.ok ? PlanReply.safeParse(reply.body) : undefined;
    const problem = !reply.ok
      ? reply.reason
      : !parsed!.success
        ? `answered with an unusable reply (${parsed!.error.issues[0].message})`
        : checkConfig(manifest, parsed!.data.config ?? {});
    if (problem) {
      note(addon.app_id, `Add-on ${addon.name} plan change to ${manifest.id}:${plan} failed: ${manifest.id} ${problem}`);
      throw failed(reply.ok ? 'invalid_params' : 'unavailable', `Could not change ${addon.name} to ${manifest.id}:${plan}: ${manifest.id} ${problem}.`);
    }
    const next = { ...addon, plan, config_vars: { ...addon.config_vars, ...parsed!.data!.config }, updated_at: new Date().toISOString() };
    await this.store.putAddon(next);
    note(addon.app_id, `Add-on ${addon.name} changed plan from ${manifest.id}:${addon.plan} to ${manifest.id}:${plan}`);
    const message = parsed!.data!.message;
    return { addon: next, message: message ? oneLine(message) : undefined };
  }

  /**
   * Tells the partner, then removes the add-on's drain, log token and record. Without `force` a
   * partner that cannot deprovision keeps the add-on (and says why); with it (app deletion, or the
   * user's explicit choice) the platform side goes regardless.
   */
  async remove(addon: AddonRecord, force: boolean, note: Note): Promise<void> {
    const svc = this.store.getAddonService(addon.service_id);
    if (svc) {
      const manifest = storedManifest(svc.manifest);
      const reply = await callPartner(endpoint(manifest), 'DELETE', addon.provider_id ?? addon.id, undefined, this.policy);
      const gone = reply.ok || reply.status === 404 || reply.status === 410;
      if (!gone) {
        if (!force) {
          note(addon.app_id, `Add-on ${addon.name} could not be removed: ${manifest.id} ${reply.reason}`);
          throw failed('unavailable', `Could not remove ${addon.name}: ${manifest.id} ${reply.reason}. Retry, or remove it anyway with force.`);
        }
        note(addon.app_id, `Add-on ${addon.name}: ${manifest.id} ${reply.reason}; removed anyway`);
      }
    }
    await this.discard(addon);
    note(addon.app_id, `Add-on ${addon.name} removed`);
  }

  /**
   * Fails and removes add-ons left `provisioning` longer than the provisioning timeout (the
   * partner answered 202 and never marked them provisioned): the partner is told DELETE, and the
   * add-on's drain, log token and record go, as for a forced removal. Returns how many went.
   */
  async expireStale(note: Note, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const a of this.store.listAddons()) {
      if (a.state !== 'provisioning' || this.calling.has(a.id)) continue;
      if (now - Date.parse(a.created_at) < this.provisioningTimeoutMs) continue;
      const current = this.store.getAddon(a.id); // marked provisioned, or removed, meanwhile?
      if (current?.state !== 'provisioning') continue;
      note(a.app_id, `Add-on ${a.name} failed to provision: ${a.service_id} did not finish provisioning within ${duration(this.provisioningTimeoutMs)}`);
      await this.remove(current, true, note);
      removed++;
    }
    return removed;
  }

  /** Partner: `PATCH /addons/{id}/config` `{config: [{name, value}]}`; a null value unsets. */
  async setConfig(addon: AddonRecord, items: { name: string; value: string | null }[], note: Note): Promise<AddonRecord> {
    const { manifest } = this.service(addon.service_id);
    const vars = { ...addon.config_vars };
    for (const { name, value } of items) {
      if (value === null) delete vars[name];
      else vars[name] = value;
    }
    const problem = checkConfig(manifest, Object.fromEntries(items.map((i) => [i.name, ''])));
    if (problem) throw new SluiceError('invalid_params', problem);
    const next = { ...addon, config_vars: vars, updated_at: new Date().toISOString() };
    await this.store.putAddon(next);
    note(addon.app_id, `Add-on ${addon.name} config updated (${items.map((i) => i.name).join(', ') || 'nothing'})`);
    return next;
  }

  /** Partner: `POST /addons/{id}/actions/provision`; idempotent. */
  async markProvisioned(addon: AddonRecord, note: Note): Promise<AddonRecord> {
    if (addon.state === 'provisioned') return addon;
    const next = { ...addon, state: 'provisioned' as const, updated_at: new Date().toISOString() };
    await this.store.putAddon(next);
    note(addon.app_id, `Add-on ${addon.name} provisioned`);
    return next;
  }

  /** Partner: `PUT /addons/{addon}/log-drains/{drain}` `{url}`. The token stays (SPEC §6.4). */
  async moveDrain(addon: AddonRecord, drain: DrainRecord, url: string, note: Note): Promise<DrainRecord> {
    const { manifest } = this.service(addon.service_id);
    const problem = await this.drainProblem(manifest, addon.app_id, url, drain.id);
    if (problem) throw new SluiceError('invalid_params', problem);
    const next = { ...drain, url, updated_at: new Date().toISOString() };
    await this.store.putDrain(next);
    note(addon.app_id, `Add-on ${addon.name} moved its log drain to ${redactUrl(url)}`);
    return next;
  }

  /** The add-on's drains (normally one). */
  drainsOf(addon: AddonRecord): DrainRecord[] {
    return this.store.listDrains(addon.app_id).filter((d) => d.addon_id === addon.id);
  }

  private pickPlan(manifest: Manifest, wanted: string | undefined): string {
    const plans = planNames(manifest);
    if (wanted === undefined || wanted === '') return plans?.[0] ?? 'default';
    if (plans && !plans.includes(wanted)) {
      throw new SluiceError('invalid_params', `Unknown plan "${wanted}" for ${manifest.id} (plans: ${plans.join(', ')}).`);
    }
    if (!/^[a-z0-9][a-z0-9-]{0,49}$/.test(wanted)) throw new SluiceError('invalid_params', `Invalid plan name "${wanted}".`);
    return wanted;
  }

  private async drainProblem(manifest: Manifest, appId: string, url: string, self?: string): Promise<string | undefined> {
    if (!requires(manifest, 'syslog_drain')) return 'log_drain_url given but the manifest does not require syslog_drain';
    const check = await validateDrainUrl(url, { denyPrivate: this.opts.denyPrivateDrains(), self: this.opts.self?.() });
    if (!check.ok) return `log_drain_url ${redactUrl(url)}: ${check.reason}`;
    if (this.store.listDrains(appId).some((d) => d.url === url && d.id !== self)) {
      return `log_drain_url ${redactUrl(url)}: the app already has a drain with this URL`;
    }
    return undefined;
  }

  private async addDrain(addon: AddonRecord, url: string, note: Note): Promise<void> {
    const now = new Date().toISOString();
    await this.store.putDrain({
      id: newId(),
      app_id: addon.app_id,
      token: addon.drain_token!,
      url,
      addon_id: addon.id,
      created_at: now,
      updated_at: now,
    });
    note(addon.app_id, `Add-on ${addon.name} added log drain ${redactUrl(url)}`);
  }

  /** Removes everything an add-on made on the platform side: drains, its log token, the record. */
  private async discard(addon: AddonRecord): Promise<void> {
    for (const d of this.drainsOf(addon)) await this.store.deleteDrain(d.id);
    const current = this.store.getAddon(addon.id) ?? addon;
    if (current.log_token_id) await this.store.deleteToken(current.log_token_id);
    await this.store.deleteAddon(addon.id);
  }
}

/** `12 hours`, `90 s`, `1.5 s`: for messages. */
function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour${ms === 3_600_000 ? '' : 's'}`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

function endpoint(m: Manifest): PartnerEndpoint {
  return { id: m.id, password: m.api.password, baseUrl: m.api.production.base_url.replace(/\/+$/, '') };
}

/** Config vars a partner sets must be listed in its manifest (or, when it lists none, carry its prefix). */
function checkConfig(m: Manifest, config: Record<string, string>): string | undefined {
  const listed = m.api.config_vars;
  const prefix = m.api.config_vars_prefix ?? defaultPrefix(m.id);
  for (const k of Object.keys(config)) {
    if (listed.length > 0 ? !listed.includes(k) : !k.startsWith(`${prefix}_`)) {
      return `config var "${k}" is not declared in the manifest's api.config_vars`;
    }
  }
  return undefined;
}

// Add-on manifests (SPEC §6.1): the zod schema, the checks kensa made, and the record's parsed form.
import { z } from 'zod';
import { allowedAddresses } from '../drains/address-guard.js';
import { addressRefusal, parseAddress } from '../drains/address-policy.js';

export const REQUIRES = ['syslog_drain', 'log_input', 'many_per_app'] as const;
export type Requirement = (typeof REQUIRES)[number];

/** Slugs users type in `addons:create SLUG:PLAN`: lowercase letters, digits and inner dashes. */
const SLUG = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const CONFIG_VAR = /^[A-Z][0-9A-Z_]+$/;
const PLACEHOLDERS = new Set(['changeme', 'password', 'secret']);

const slug = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .max(50, `${what} must be at most 50 characters`)
    .regex(SLUG, `${what} must be lowercase letters, digits and single dashes, starting with a letter (e.g. "log-search")`);

const Plan = z.looseObject({ name: slug('plan name') });

export const ManifestSchema = z.looseObject({
  id: slug('id'),
  name: z.string({ error: 'name must be a string' }).min(1, 'name must not be empty').max(100).optional(),
  plans: z.array(Plan, { error: 'plans must be an array of {name}' }).min(1, 'plans, when given, must list at least one plan').optional(),
  api: z.looseObject(
    {
      password: z
        .string({ error: 'api.password is required (Sluice sends it in Basic auth to your base_url)' })
        .min(8, 'api.password must be at least 8 characters')
        .max(200, 'api.password must be at most 200 characters')
        .refine((p) => !PLACEHOLDERS.has(p.toLowerCase()), 'api.password is still a placeholder: choose a real secret'),
      sso_salt: z.string({ error: 'api.sso_salt must be a string' }).optional(),
      regions: z.array(z.string(), { error: 'api.regions must be an array of strings' }).optional(),
      requires: z
        .array(z.string({ error: 'api.requires must list strings' }), { error: 'api.requires must be an array' })
        .default([])
        .refine((rs) => rs.every((r) => (REQUIRES as readonly string[]).includes(r)), {
          error: (iss) => {
            const bad = (iss.input as string[]).filter((r) => !(REQUIRES as readonly string[]).includes(r));
            return `unknown value ${JSON.stringify(bad[0])} (allowed: ${REQUIRES.join(', ')})`;
          },
        }),
      config_vars_prefix: z
        .string({ error: 'api.config_vars_prefix must be a string' })
        .regex(/^[A-Z][A-Z0-9_]*$/, 'api.config_vars_prefix must be uppercase letters, digits and underscores (e.g. "LOG_SEARCH")')
        .optional(),
      config_vars: z
        .array(z.string().regex(CONFIG_VAR, 'config vars must match ^[A-Z][0-9A-Z_]+$ (e.g. "LOG_SEARCH_URL")'), {
          error: 'api.config_vars must be an array of names',
        })
        .default([]),
      production: z.looseObject(
        { base_url: z.string({ error: 'api.production.base_url is required' }), sso_url: z.string().optional() },
        { error: 'api.production must be an object with base_url' },
      ),
      version: z.literal('3', { error: 'api.version must be "3" (the v3 add-on partner API)' }).default('3'),
    },
    { error: 'api must be an object (password, requires, production.base_url, …)' },
  ),
});

export type Manifest = z.infer<typeof ManifestSchema>;

/** Far deeper than any real manifest (api.production.base_url is 3 levels). */
export const MAX_MANIFEST_DEPTH = 32;

/** True when objects and arrays nest more than `max` levels; iterative, so any depth is safe to ask about. */
function nestedDeeper(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

export type ManifestCheck = { ok: true; manifest: Manifest } | { ok: false; reason: string };

/** `fast-db` → `FAST_DB`: the default prefix, as Heroku documents it. */
export function defaultPrefix(id: string): string {
  return id.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/**
 * Validates a manifest as an admin registers it. The first problem comes back as one sentence
 * naming the field. Production mode (always on): the base URL is https, except that plain http
 * is allowed to loopback hosts so a partner can develop and test on one machine.
 */
export function checkManifest(raw: unknown): ManifestCheck {
  // Checked before the schema sees it: validating or storing a deeply nested value recurses
  // once per level, and 20,000 levels overflow the stack (a RangeError, a 500).
  if (nestedDeeper(raw, MAX_MANIFEST_DEPTH)) return { ok: false, reason: `the manifest is nested more than ${MAX_MANIFEST_DEPTH} levels deep` };
  const r = ManifestSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue.path.join('.');
    const msg = issue.message;
    // Messages that already name their field are kept as they are.
    return { ok: false, reason: path && !msg.startsWith(path) ? `${path}: ${msg}` : msg };
  }
  const m = r.data;
  const base = checkBaseUrl(m.api.production.base_url);
  if (base) return { ok: false, reason: `api.production.base_url: ${base}` };
  const prefix = m.api.config_vars_prefix ?? defaultPrefix(m.id);
  const stray = m.api.config_vars.find((v) => !v.startsWith(`${prefix}_`));
  if (stray) return { ok: false, reason: `api.config_vars: "${stray}" must begin with the prefix ${prefix}_` };
  const seen = new Set<string>();
  for (const p of m.plans ?? []) {
    if (seen.has(p.name)) return { ok: false, reason: `plans: "${p.name}" is listed twice` };
    seen.add(p.name);
  }
  return { ok: true, manifest: m };
}

/** Undefined when fine, otherwise why not. Never echoes a password (the URL must not have one). */
export function checkBaseUrl(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not a URL (expected e.g. https://addon.example.com/heroku/resources)';
  }
  if (u.username || u.password) return 'must not carry a user or password (Sluice sends id:api.password itself)';
  if (u.search || u.hash) return 'must not have a query or fragment';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  // Link-local (cloud metadata at 169.254.169.254) is never a partner, in any spelling of the address.
  const refused = parseAddress(host) ? addressRefusal(host, host, false) : undefined;
  if (refused) return refused.replace('drains to it are', 'partner calls to it are');
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:') {
    if (isLoopbackHost(u.hostname)) return undefined;
    return `must be https:// (plain http:// is allowed only for loopback hosts, got ${u.hostname})`;
  }
  return `must be https:// (got ${u.protocol.slice(0, -1)}://)`;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || parseAddress(h)?.cls === 'loopback';
}

/**
 * The base URL's host name resolved now: undefined when it may be called, else why not (it
 * resolves only to link-local addresses). A name that does not resolve yet is accepted; every
 * call checks again (addons/client.ts).
 */
export async function baseUrlAddressProblem(raw: string): Promise<string | undefined> {
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  if (parseAddress(host)) return undefined; // literals: checkBaseUrl
  try {
    await allowedAddresses(host, false);
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code ? undefined : e.message.replace('drains to it are', 'partner calls to it are');
  }
}

export const requires = (m: Manifest, r: Requirement): boolean => m.api.requires.includes(r);

/** The plan names a user may pick; undefined when the manifest lists none (any name goes). */
export const planNames = (m: Manifest): string[] | undefined => m.plans?.map((p) => p.name);

/** Reads a stored manifest back (it was validated when registered). */
export function storedManifest(json: string): Manifest {
  return ManifestSchema.parse(JSON.parse(json));
}

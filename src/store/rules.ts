// The uniqueness and limit rules every store enforces, and the one wording of their refusals.
import { SluiceError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';

/** What a user's drain add must respect; add-on drains are put without rules. */
export interface DrainRules {
  maxPerApp: number;
}

export const nameTaken = (name: string): SluiceError => new SluiceError('conflict', `Name ${name} is already taken.`);

export const domainInUse = (hostname: string): SluiceError => new SluiceError('conflict', `${hostname} is already in use.`);

export const tokenTaken = (): SluiceError => new SluiceError('conflict', 'That log token value is already in use.');

export const drainExists = (appName: string, url: string): SluiceError =>
  new SluiceError('conflict', `Already exists: ${appName} already drains to ${redactUrl(url)}.`);

export const drainLimit = (max: number, appName: string): SluiceError =>
  new SluiceError('invalid_params', `You have already added the maximum number of drains allowed (${max}) to ${appName}.`);

/** `new URL(…).href` when it parses, so `https://x.com` and `https://x.com/` are one drain. */
export function normalDrainUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

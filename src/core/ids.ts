// Identifiers: UUIDs, log tokens (`t.…`), drain tokens (`d.…`), app names, secrets.
import { randomBytes, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();
export const newLogToken = (): string => `t.${randomUUID()}`;
export const newDrainToken = (): string => `d.${randomUUID()}`;

/** A secret for capabilities (session URLs, generated API keys): 32 random bytes, URL-safe. */
export const newSecret = (): string => randomBytes(32).toString('base64url');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);

/** SPEC §1: `^[a-z][a-z0-9-]{1,29}$`. */
export const APP_NAME = /^[a-z][a-z0-9-]{1,29}$/;
export const isAppName = (s: string): boolean => APP_NAME.test(s);

/** Token names are log sources (`app`, `heroku`, `postgres`): printable, no spaces, short. */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/;

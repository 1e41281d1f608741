// The one error type of the Platform API and the one place its codes map to HTTP statuses.

export type ErrorId =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'not_acceptable'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_params'
  | 'rate_limit'
  | 'unavailable'
  | 'internal_error';

const STATUS: Record<ErrorId, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  not_acceptable: 406,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_params: 422,
  rate_limit: 429,
  internal_error: 500,
  unavailable: 503,
};

/** An error a caller can act on: `id` is the machine-readable Heroku error id, `message` is for people. */
export class SluiceError extends Error {
  readonly id: ErrorId;
  readonly resource: string | undefined;

  constructor(id: ErrorId, message: string, resource?: string) {
    super(message);
    this.name = 'SluiceError';
    this.id = id;
    this.resource = resource;
  }

  get status(): number {
    return STATUS[this.id];
  }

  toJSON(): { id: ErrorId; message: string; resource?: string } {
    return this.resource === undefined
      ? { id: this.id, message: this.message }
      : { id: this.id, message: this.message, resource: this.resource };
  }
}

export function statusOf(id: ErrorId): number {
  return STATUS[id];
}

export const notFound = (what: string, resource?: string): SluiceError =>
  new SluiceError('not_found', `Couldn't find that ${what}.`, resource);

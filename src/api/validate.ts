// Request bodies are checked against zod schemas; the first problem becomes a 422 naming the field.
import type { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import type { Ctx } from './context.js';
import { readJson } from './http-util.js';

export async function body<T extends z.ZodType>(ctx: Ctx, schema: T): Promise<z.infer<T>> {
  const raw = await readJson(ctx.req);
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new SluiceError('invalid_params', `${where}${issue.message}`);
}

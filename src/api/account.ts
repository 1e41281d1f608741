// `/account` and the Platform API resources Sluice has no notion of (dynos, releases, pipelines, …): clear answers for the heroku CLI.
import { SluiceError } from '../core/errors.js';
import type { Ctx, RouteModule } from './context.js';
import { sendJson } from './http-util.js';
import { OWNER } from './views.js';

/**
 * Sluice has API keys, not users: the admin key is the account that owns every app; a key
 * limited to some apps is an account of its own name (so `heroku apps` lists those apps as
 * collaborated), a partner is its manifest id.
 */
function accountOf(ctx: Ctx) {
  const p = ctx.principal();
  const local = p.kind === 'admin' ? null : p.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-') || 'key';
  return {
    id: p.kind === 'admin' ? OWNER.id : null,
    email: local === null ? OWNER.email : `${local}@sluice.invalid`,
    name: p.name,
    allow_tracking: false,
    beta: false,
    created_at: null,
    default_organization: null,
    default_team: null,
    delinquent_at: null,
    federated: false,
    identity_provider: null,
    last_login: null,
    sms_number: null,
    suspended_at: null,
    two_factor_authentication: false,
    updated_at: null,
    verified: true,
  };
}

/** What each unknown resource is, in words: a 404 `{id, message}` the CLI prints instead of crashing. */
const ABSENT: Array<[string, string]> = [
  ['/apps/:app/dynos', 'Sluice runs no dynos: it routes logs; run processes under `sluice run` to send their output.'],
  ['/apps/:app/dynos/:dyno', 'Sluice runs no dynos: it routes logs.'],
  ['/apps/:app/formation', 'Sluice runs no dynos, so there is no formation.'],
  ['/apps/:app/formation/:type', 'Sluice runs no dynos, so there is no formation.'],
  ['/apps/:app/releases', 'Sluice makes no releases: it routes logs.'],
  ['/apps/:app/releases/:release', 'Sluice makes no releases: it routes logs.'],
  ['/apps/:app/builds', 'Sluice builds nothing: it routes logs.'],
  ['/apps/:app/pipeline-couplings', 'Sluice has no pipelines.'],
  ['/pipelines', 'Sluice has no pipelines.'],
  ['/pipelines/:pipeline', 'Sluice has no pipelines.'],
  ['/apps/:app/collaborators', 'Sluice has no collaborators: access to an app is given by an API key limited to it (POST /api-keys).'],
  ['/apps/:app/config-vars', 'Sluice keeps no config vars for apps; an add-on\u2019s are at GET /addons/{addon}/config.'],
  ['/teams/apps', 'Sluice has no teams: create the app with POST /apps.'],
  ['/teams/:team/apps', 'Sluice has no teams.'],
];

export const accountRoutes: RouteModule = (r) => {
  r.on('GET', '/account', (ctx) => sendJson(ctx.res, 200, accountOf(ctx)));
  for (const [path, message] of ABSENT) {
    for (const method of ['GET', 'POST', 'PATCH', 'PUT', 'DELETE']) {
      r.on(method, path, (ctx) => {
        ctx.principal(); // 401 first, as for every API route
        throw new SluiceError('not_found', message);
      });
    }
  }
};

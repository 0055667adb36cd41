/**
 * The authorization matrix: every operation of /openapi.json × anonymous / other user / admin /
 * owner, against the owner's resources. Expected (DESIGN §8, issue 11 §7):
 *   anonymous → 401 on every route not in PUBLIC_ROUTES;
 *   other user → 403/404 on routes naming the owner's resources, never 2xx, never the owner's data;
 *   admin → admin routes answer; on a user's resources only ADMIN_MAY_READ may answer 2xx (reads of
 *           private chats are not part of the normal API: /messages, /prompt, /memories… are 404);
 *   owner → not 401/403/5xx, and every GET answers 2xx.
 * Mutations by others must leave the owner's character and messages as they were.
 */
import { TestClient, type TestApp, type Res } from '../../support/app.js';
import { forbiddenContent } from './leaks.js';
import { exampleValue, fetchDoc, fillPath, operations, pathDepth, type Operation } from './openapi.js';
import type { ReportRow } from './report.js';
import { apiKeyHeaders, bodyHints, buildWorld, pathValues, registerAdmin, type World } from './world.js';

/** Routes anyone may call. A new route is private unless listed here. */
export const PUBLIC_ROUTES = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /api/meta', 'POST /api/auth/register', 'POST /api/auth/login', 'POST /api/auth/logout', 'GET /api/auth/session']);
/** The documented admin policy: an admin may read a user's character (and its avatar and card), nothing else of theirs. */
export const ADMIN_MAY_READ = new Set(['GET /api/characters/{id}', 'GET /api/characters/{id}/avatar', 'GET /api/characters/{id}/card']);
/** Routes that end the caller's session or account: run last. */
const SESSION_ENDING = ['DELETE /api/me', 'POST /api/auth/logout', 'GET /api/auth/session'];

const key = (op: Operation) => `${op.method} ${op.path}`;
const isAdminRoute = (op: Operation) => op.path.startsWith('/api/admin/');
/** Path parameters that name something of the owner's (not `{source}`, which is public). */
const namesResource = (op: Operation) => op.params.some((p) => p.in === 'path' && p.name !== 'source');

/** Reads first, then writes, then deletes deepest-first, then the session-ending routes. */
export function matrixOrder(ops: Operation[]): Operation[] {
  const rank = (op: Operation) => {
    const ending = SESSION_ENDING.indexOf(key(op));
    if (ending >= 0) return 1000 + ending;
    if (op.method === 'GET') return 0;
    if (op.method !== 'DELETE') return 1;
    return 100 - pathDepth(op.path);
  };
  return [...ops].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
}

function request(actor: TestClient, op: Operation, world: World): Promise<Res> {
  // Registering or signing in as someone else must not change who the actor is.
  const client = op.path === '/api/auth/register' || op.path === '/api/auth/login' ? Object.assign(new TestClient(actor.base), { cookie: actor.cookie }) : actor;
  const url = fillPath(op.path, pathValues(world, op.path));
  const hints = bodyHints(world);
  const query = op.params.filter((p) => p.in === 'query' && p.required).map((p) => `${p.name}=${encodeURIComponent(String(exampleValue(p.schema, p.name, hints)))}`);
  const full = query.length ? `${url}?${query.join('&')}` : url;
  if (op.multipart) {
    const form = new FormData();
    form.append('file', new Blob(['{}'], { type: 'application/json' }), 'x.json');
    return client.request(op.method, full, form);
  }
  return client.request(op.method, full, op.body ? exampleValue(op.body, 'body', hints) : undefined, apiKeyHeaders(world, actor, op.path));
}

async function ownerSnapshot(world: World): Promise<string> {
  const id = world.ids['characters:id'];
  const [c, m] = await Promise.all([world.owner.get(`/api/characters/${id}`), world.owner.get(`/api/characters/${id}/messages?limit=100`)]);
  return JSON.stringify({ status: c.status, name: c.body?.name, biography: c.body?.biography, messages: (m.body?.items ?? []).map((x: any) => [x.id, x.content]) });
}

export async function runAuthzMatrix(app: TestApp, backend: string): Promise<ReportRow> {
  const admin = await registerAdmin(app);
  const world = await buildWorld(app, admin);
  const ops = matrixOrder(operations(await fetchDoc(app.url)));
  const problems: string[] = [];
  let requests = 0;
  let fiveXx = 0;
  let leaks = 0;

  const check = (actor: string, op: Operation, r: Res, ok: boolean, expected: string) => {
    requests++;
    if (r.status >= 500) fiveXx++;
    if (!ok) problems.push(`${actor} ${key(op)} → ${r.status} (expected ${expected})`);
    const forbidden = r.status >= 400 ? forbiddenContent(r.text) : undefined;
    if (forbidden) {
      leaks++;
      problems.push(`${actor} ${key(op)}: ${forbidden}`);
    }
  };
  const leaked = (actor: string, op: Operation, r: Res) => {
    if (r.text.includes(world.marker)) {
      leaks++;
      problems.push(`${actor} ${key(op)} → ${r.status} shows the owner's data`);
    }
  };

  for (const op of ops) {
    const before = op.method === 'GET' ? '' : await ownerSnapshot(world);
    const pub = PUBLIC_ROUTES.has(key(op));

    world.anonymous.cookie = '';
    const anon = await request(world.anonymous, op, world);
    check('anonymous', op, anon, pub ? anon.status < 500 : anon.status === 401, pub ? '< 500' : '401');
    leaked('anonymous', op, anon);

    const other = await request(world.other, op, world);
    if (pub) check('other user', op, other, other.status < 500, '< 500');
    else if (isAdminRoute(op)) check('other user', op, other, other.status === 403, '403');
    else if (namesResource(op)) check('other user', op, other, other.status === 403 || other.status === 404, '403/404');
    else check('other user', op, other, other.status < 500 && other.status !== 403, 'its own view');
    leaked('other user', op, other);

    const adm = await request(world.admin, op, world);
    if (pub) check('admin', op, adm, adm.status < 500, '< 500');
    else if (isAdminRoute(op)) check('admin', op, adm, adm.status >= 200 && adm.status < 300, '2xx');
    else if (namesResource(op)) {
      const mayRead = ADMIN_MAY_READ.has(key(op));
      check('admin', op, adm, mayRead ? adm.status < 300 || adm.status === 404 : adm.status === 403 || adm.status === 404, mayRead ? '2xx/404' : '403/404 (policy)');
      if (!mayRead) leaked('admin', op, adm);
    } else check('admin', op, adm, adm.status < 500, '< 500');

    if (before) {
      const after = await ownerSnapshot(world);
      if (after !== before) {
        leaks++;
        problems.push(`${key(op)} by anonymous/other/admin changed the owner's data`);
      }
    }

    const own = await request(world.owner, op, world);
    const ownerOk = pub || isAdminRoute(op) ? own.status < 500 : own.status !== 401 && own.status !== 403 && own.status < 500 && (op.method !== 'GET' || own.status < 300);
    check('owner', op, own, ownerOk, op.method === 'GET' ? '2xx' : 'not 401/403/5xx');
  }
  return { check: `authorization matrix (${ops.length} routes × 4 actors)`, backend, requests, fiveXx, leaks, problems };
}

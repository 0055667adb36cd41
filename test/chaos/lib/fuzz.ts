/**
 * The schema fuzzer: for every operation of /openapi.json, boundary and bad values in each path
 * and query parameter and each top-level body field, plus bad whole bodies (invalid JSON, invalid
 * UTF-8, 3,000 levels of nesting, wrong content types). Expected: never a 5xx, every 4xx is
 * `{error:{code,message}}`, and no stack trace or SQL in any body. Seeded: `sample` picks the same
 * cases for the same seed.
 */
import { seededRandom } from '../../../src/infra/seeded.js';
import type { TestApp } from '../../support/app.js';
import { TestClient } from '../../support/app.js';
import { forbiddenContent } from './leaks.js';
import { exampleValue, fetchDoc, fillPath, operations, type Operation } from './openapi.js';
import type { ReportRow } from './report.js';
import { matrixOrder, PUBLIC_ROUTES } from './authz.js';
import { apiKeyHeaders, bodyHints, buildWorld, pathValues, registerAdmin, type World } from './world.js';

/** Values as they appear in a URL (already percent-encoded where needed). */
export const BAD_URL_VALUES = [
  '9223372036854775808',
  '18446744073709551616',
  '99999999999999999999999999',
  '1e400',
  '-1',
  '0',
  'NaN',
  'Infinity',
  '1.5',
  'abc',
  '%00',
  'a%00b',
  '%FF%FE%FD',
  "'%20OR%201%3D1--",
  '..%2F..%2Fetc%2Fpasswd',
  'x'.repeat(4000),
  '%F0%9F%98%80',
];

export const deepJson = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
export const deepArray = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

/** Raw JSON text put in place of one body field. */
export const BAD_JSON_VALUES = [
  '9223372036854775808',
  '1e400',
  '-1e400',
  '-1',
  '0',
  '1.5',
  '"NaN"',
  '"\\u0000"',
  '"a\\u0000b"',
  '"\\ud800"',
  JSON.stringify('长'.repeat(200_000)),
  'null',
  'true',
  '{}',
  '[]',
  '"abc"',
  '12345',
  deepJson(3000),
  deepArray(3000),
];

interface Wire {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface FuzzCase {
  op: Operation;
  label: string;
  wire(world: World): Wire;
}

const PLACEHOLDER = '"__chaos_raw__"';

function validQuery(op: Operation, world: World): string[] {
  const hints = bodyHints(world);
  return op.params.filter((p) => p.in === 'query' && p.required).map((p) => `${p.name}=${encodeURIComponent(String(exampleValue(p.schema, p.name, hints)))}`);
}

function url(op: Operation, world: World, override?: { name: string; in: string; raw: string }): string {
  const values: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(pathValues(world, op.path))) values[k] = encodeURIComponent(String(v));
  if (override?.in === 'path') values[override.name] = override.raw;
  let query = validQuery(op, world);
  if (override?.in === 'query') query = [...query.filter((q) => !q.startsWith(`${override.name}=`)), `${override.name}=${override.raw}`];
  const path = fillPath(op.path, values, true);
  return query.length ? `${path}?${query.join('&')}` : path;
}

function baseBody(op: Operation, world: World): Record<string, unknown> {
  const v = op.body ? exampleValue(op.body, 'body', bodyHints(world)) : {};
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export function casesFor(op: Operation): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (const p of op.params.filter((x) => x.in === 'path' || x.in === 'query')) {
    for (const raw of BAD_URL_VALUES) {
      cases.push({
        op,
        label: `${p.in} ${p.name}=${raw.length > 40 ? `${raw.slice(0, 10)}…(${raw.length})` : raw}`,
        wire: (world) => {
          const body = op.body ? JSON.stringify(baseBody(op, world)) : undefined;
          return { method: op.method, path: url(op, world, { name: p.name, in: p.in, raw }), headers: body ? JSON_HEADERS : {}, body };
        },
      });
    }
  }
  const fields = Object.keys(op.body?.properties ?? {});
  for (const field of fields) {
    for (const raw of BAD_JSON_VALUES) {
      cases.push({
        op,
        label: `body.${field}=${raw.length > 40 ? `${raw.slice(0, 10)}…(${raw.length})` : raw}`,
        wire: (world) => {
          const text = JSON.stringify({ ...baseBody(op, world), [field]: '__chaos_raw__' }).replace(PLACEHOLDER, raw);
          return { method: op.method, path: url(op, world), headers: JSON_HEADERS, body: text };
        },
      });
    }
  }
  if (op.method !== 'GET') {
    const whole: [string, (w: World) => Pick<Wire, 'headers' | 'body'>][] = [
      ['body not JSON', () => ({ headers: JSON_HEADERS, body: '{"a":' })],
      ['body empty', () => ({ headers: JSON_HEADERS, body: '' })],
      ['body null', () => ({ headers: JSON_HEADERS, body: 'null' })],
      ['body array', () => ({ headers: JSON_HEADERS, body: '[1,2]' })],
      ['body 3,000 levels deep', () => ({ headers: JSON_HEADERS, body: deepJson(3000) })],
      ['body invalid UTF-8', (w) => ({ headers: JSON_HEADERS, body: invalidUtf8(JSON.stringify(baseBody(op, w))) })],
      ['body as text/plain', (w) => ({ headers: { 'content-type': 'text/plain' }, body: JSON.stringify(baseBody(op, w)) })],
      ['body as XML', () => ({ headers: { 'content-type': 'application/xml' }, body: '<a>1</a>' })],
      ['body as a form', () => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=2' })],
      ['multipart without boundary', () => ({ headers: { 'content-type': 'multipart/form-data' }, body: 'xx' })],
    ];
    for (const [label, make] of whole) cases.push({ op, label, wire: (w) => ({ method: op.method, path: url(op, w), ...make(w) }) });
  }
  return cases;
}

/** The JSON text with an invalid UTF-8 sequence inside its first string (or appended). */
function invalidUtf8(json: string): Uint8Array {
  const bytes = Buffer.from(json, 'utf8');
  const at = bytes.indexOf(0x22); // first quote
  const bad = Buffer.from([0xc3, 0x28, 0xff]);
  return at >= 0 ? Buffer.concat([bytes.subarray(0, at + 1), bad, bytes.subarray(at + 1)]) : Buffer.concat([bytes, bad]);
}

/** Operations whose success would spoil the shared world: each gets a world of its own. */
const needsOwnWorld = (op: Operation) => op.method === 'DELETE' || op.path === '/api/auth/logout' || op.path === '/api/me/password';

export interface FuzzOptions {
  seed: number;
  /** Share of the cases to run (1 = all). */
  sample: number;
  concurrency?: number;
  /** Give each deleting or session-changing operation a fresh world (slower; the full campaign does). */
  isolateDestructive?: boolean;
}

export async function runFuzzer(app: TestApp, backend: string, options: FuzzOptions): Promise<ReportRow> {
  const admin = await registerAdmin(app);
  const shared = await buildWorld(app, admin);
  const ops = matrixOrder(operations(await fetchDoc(app.url)));
  const next = seededRandom(options.seed);
  const problems: string[] = [];
  let requests = 0;
  let fiveXx = 0;
  let leaks = 0;

  for (const op of ops) {
    const chosen = casesFor(op).filter(() => next() < options.sample);
    if (!chosen.length) continue;
    const world = options.isolateDestructive && needsOwnWorld(op) ? await buildWorld(app, admin) : shared;
    const pub = PUBLIC_ROUTES.has(`${op.method} ${op.path}`);
    const queue = [...chosen];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const wire = c.wire(world);
        const client = pub ? new TestClient(app.url) : world.owner;
        const headers: Record<string, string> = { ...wire.headers, ...(client.cookie ? { cookie: client.cookie } : {}), ...apiKeyHeaders(world, client, op.path) };
        const where = `${op.method} ${op.path} [${c.label}]`;
        requests++;
        let status: number;
        let text: string;
        try {
          const res = await fetch(app.url + wire.path, { method: wire.method, headers, body: wire.body as BodyInit | undefined, signal: AbortSignal.timeout(30_000) });
          status = res.status;
          text = await res.text();
        } catch (err) {
          problems.push(`${where}: no answer (${(err as Error).message})`);
          continue;
        }
        if (status >= 500) {
          fiveXx++;
          problems.push(`${where} → ${status} ${text.slice(0, 120)}`);
        }
        if (status >= 400) {
          const forbidden = forbiddenContent(text);
          if (forbidden) {
            leaks++;
            problems.push(`${where} → ${status}: ${forbidden}`);
          }
          if (status < 500 && !isErrorShape(text)) problems.push(`${where} → ${status} without {error:{code,message}}: ${text.slice(0, 80)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  }
  return { check: `schema fuzzer (${ops.length} routes, seed ${options.seed}${options.sample < 1 ? `, ${Math.round(options.sample * 100)} % sample` : ''})`, backend, requests, fiveXx, leaks, problems };
}

function isErrorShape(text: string): boolean {
  try {
    const j = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return typeof j.error?.code === 'string' && typeof j.error?.message === 'string';
  } catch {
    return false;
  }
}

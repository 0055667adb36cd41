/**
 * Limits every route's input shares, enforced once for the whole app so a new route cannot forget
 * them (each one was a 500 on PostgreSQL):
 * - numbers are finite, integers safe: an id ≥ 2^63 overflows bigint, so every integer/number in
 *   a params, query or body schema gets bounds unless it has its own; "1e400" (Infinity) is refused;
 * - no U+0000 in any string or key: PostgreSQL text cannot hold it;
 * - no lone UTF-16 surrogate: it is not text (encodeURIComponent throws on it, UTF-8 cannot hold it);
 * - JSON nested at most MAX_JSON_DEPTH levels: deep values overflow the stack of every recursive
 *   walk after them (structuredClone, serializers).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

export const MAX_JSON_DEPTH = 64;

type Schema = Record<string, unknown>;

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Adds finite bounds to every integer and number in a JSON schema that has none (in place; idempotent). */
export function boundNumbers(schema: unknown, seen = new Set<unknown>()): void {
  if (!isSchema(schema) || seen.has(schema)) return;
  seen.add(schema);
  const types = [schema.type].flat();
  const limit = types.includes('integer') && !types.includes('number') ? Number.MAX_SAFE_INTEGER : types.includes('number') ? Number.MAX_VALUE : undefined;
  if (limit !== undefined) {
    if (schema.maximum === undefined && schema.exclusiveMaximum === undefined) schema.maximum = limit;
    if (schema.minimum === undefined && schema.exclusiveMinimum === undefined) schema.minimum = -limit;
  }
  for (const key of ['properties', 'patternProperties', 'definitions', '$defs']) {
    const group = schema[key];
    if (isSchema(group)) for (const sub of Object.values(group)) boundNumbers(sub, seen);
  }
  for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains']) boundNumbers(schema[key], seen);
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) {
    const list = schema[key];
    if (Array.isArray(list)) for (const sub of list) boundNumbers(sub, seen);
  }
}

export interface JsonProblem {
  problem: 'nul' | 'surrogate' | 'depth';
  /** Where, as `a.b.0` (empty for the value itself). */
  path: string;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What is wrong with a string as text, if anything. */
function textProblem(s: string): 'nul' | 'surrogate' | undefined {
  if (s.includes('\u0000')) return 'nul';
  return LONE_SURROGATE.test(s) ? 'surrogate' : undefined;
}

/** The first NUL character, lone surrogate or too-deep nesting in a parsed JSON value (recursion is bounded by `maxDepth`). */
export function findJsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem | undefined {
  const walk = (v: unknown, depth: number): { problem: JsonProblem['problem']; path: string[] } | undefined => {
    if (typeof v === 'string') {
      const problem = textProblem(v);
      return problem ? { problem, path: [] } : undefined;
    }
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return undefined;
    if (depth >= maxDepth) return { problem: 'depth', path: [] };
    const entries = Array.isArray(v) ? v.entries() : Object.entries(v);
    for (const [k, child] of entries) {
      const keyProblem = typeof k === 'string' ? textProblem(k) : undefined;
      if (keyProblem) return { problem: keyProblem, path: [] };
      const found = walk(child, depth + 1);
      if (found) {
        found.path.unshift(String(k));
        return found;
      }
    }
    return undefined;
  };
  const found = walk(value, 0);
  return found && { problem: found.problem, path: found.path.join('.') };
}

/** The 400 for a problem in `where` (body, querystring, params). */
export function jsonProblemError(where: string, p: JsonProblem): AppError {
  const at = p.path ? `${where}.${p.path}` : where;
  switch (p.problem) {
    case 'nul':
      return new AppError('validation:nul_character', `${at}: must not contain the NUL character (U+0000)`);
    case 'surrogate':
      return new AppError('validation:invalid_text', `${at}: contains a lone UTF-16 surrogate, which is not valid text`);
    case 'depth':
      return new AppError('validation:too_deep', `${at}: nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
}

/** Registers the guards app-wide; call before any route is registered. */
export function registerInputGuards(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const s = route.schema as Schema | undefined;
    if (!s) return;
    for (const part of ['params', 'querystring', 'body', 'headers']) boundNumbers(s[part]);
  });
  app.addHook('preValidation', async (request: FastifyRequest) => {
    for (const [where, value] of [
      ['params', request.params],
      ['querystring', request.query],
      ['body', request.body],
    ] as const) {
      const p = findJsonProblem(value);
      if (p) throw jsonProblemError(where, p);
    }
  });
  // Ajv coerces "1e400" in a path or query to Infinity and then skips its range checks, so
  // the coerced values are checked here, after validation.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    for (const [where, value] of [
      ['params', request.params],
      ['querystring', request.query],
    ] as const) {
      const bad = Object.entries((value ?? {}) as Record<string, unknown>).find(([, v]) => [v].flat().some((n) => typeof n === 'number' && !Number.isFinite(n)));
      if (bad) throw new AppError('validation:not_finite', `${where}.${bad[0]}: must be a finite number`);
    }
  });
}

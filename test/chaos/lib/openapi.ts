/**
 * The API as `/openapi.json` describes it: every operation with its parameters and body schema,
 * and valid example values drawn from the schemas. The matrix and the fuzzer iterate over this, so
 * a route added tomorrow is covered the day it is added.
 */
export type Schema = Record<string, any>;

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  /** OpenAPI form: `/api/characters/{id}`. */
  path: string;
  params: Param[];
  /** The JSON body schema ($refs resolved), if the operation takes JSON. */
  body?: Schema;
  multipart: boolean;
  responses: number[];
}

export interface ApiDoc {
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
}

export async function fetchDoc(baseUrl: string): Promise<ApiDoc> {
  const r = await fetch(`${baseUrl}/openapi.json`);
  if (!r.ok) throw new Error(`GET /openapi.json: ${r.status}`);
  return (await r.json()) as ApiDoc;
}

export function resolveRefs(doc: ApiDoc, schema: Schema | undefined, depth = 0): Schema | undefined {
  if (!schema || typeof schema !== 'object' || depth > 20) return schema;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop()!;
    return resolveRefs(doc, doc.components?.schemas?.[name], depth + 1);
  }
  const out: Schema = Array.isArray(schema) ? [] : {};
  for (const [k, v] of Object.entries(schema)) out[k] = typeof v === 'object' && v !== null ? resolveRefs(doc, v, depth + 1) : v;
  return out;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function operations(doc: ApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const content = op.requestBody?.content ?? {};
      ops.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).map((p: any) => ({ name: p.name, in: p.in, required: !!p.required, schema: resolveRefs(doc, p.schema) ?? {} })),
        body: resolveRefs(doc, content['application/json']?.schema),
        multipart: !!content['multipart/form-data'] || /multipart/i.test(JSON.stringify(op.consumes ?? '')) || /multipart/.test(op.summary ?? ''),
        responses: Object.keys(op.responses ?? {}).map(Number).filter(Number.isFinite),
      });
    }
  }
  return ops;
}

export const pathDepth = (path: string) => path.split('/').length;

/** Replaces `{name}` placeholders; values are URL-encoded unless `raw`. */
export function fillPath(path: string, values: Record<string, string | number>, raw = false): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for path parameter {${name}} of ${path}: add one to the chaos world (test/chaos/lib/world.ts)`);
    const v = String(values[name]);
    return raw ? v : encodeURIComponent(v);
  });
}

/** A valid value for `schema` (the smallest that satisfies it); `hints` fill fields by name. */
export function exampleValue(schema: Schema | undefined, name = 'value', hints: Record<string, unknown> = {}): unknown {
  if (name in hints) return hints[name];
  const s = schema ?? {};
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const variants = s.anyOf ?? s.oneOf;
  if (Array.isArray(variants) && variants.length) return exampleValue(variants.find((v: Schema) => v.type !== 'null') ?? variants[0], name, hints);
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : (s.type ?? (s.properties ? 'object' : 'string'));
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set<string>(s.required ?? []);
      const props = Object.entries((s.properties ?? {}) as Record<string, Schema>);
      for (const [k, sub] of props) if (required.has(k) || k in hints) out[k] = exampleValue(sub, k, hints);
      // minProperties: take the first optional ones too.
      for (const [k, sub] of props) if (Object.keys(out).length < (s.minProperties ?? 0) && !(k in out)) out[k] = exampleValue(sub, k, hints);
      return out;
    }
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, (_, i) => exampleValue(s.items, `${name}${i}`, {}));
    case 'integer':
      return Math.max(s.minimum ?? 1, Math.min(s.maximum ?? 1, 1));
    case 'number':
      return Math.max(s.minimum ?? 0.5, Math.min(s.maximum ?? 0.5, 0.5));
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      const min = s.minLength ?? 1;
      const base = 'chaos_ok';
      const v = base.length >= min ? base : base + 'x'.repeat(min - base.length);
      return s.maxLength !== undefined ? v.slice(0, Math.max(min, s.maxLength)) : v;
    }
  }
}

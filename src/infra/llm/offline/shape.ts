/**
 * Fits a candidate answer to the JSON Schema the caller asked for, so the offline model's JSON
 * validates whatever shape a feature chooses: known keys come from the candidate, the rest get a
 * sensible default (strings from `fallback`, numbers inside their bounds, enums picked stably).
 */
import { hash } from './text.js';

interface SchemaLike {
  type?: string | string[];
  properties?: Record<string, SchemaLike>;
  items?: SchemaLike;
  enum?: unknown[];
  const?: unknown;
  anyOf?: SchemaLike[];
  oneOf?: SchemaLike[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
}

export function shapeToSchema(schema: unknown, candidate: unknown, fallback: (path: string) => string, path = ''): unknown {
  const s = (schema ?? {}) as SchemaLike;
  if (s.const !== undefined) return s.const;
  const variants = s.anyOf ?? s.oneOf;
  if (variants?.length) return shapeToSchema(variants.find((v) => v.type !== 'null') ?? variants[0], candidate, fallback, path);
  if (s.enum?.length) return s.enum.includes(candidate) ? candidate : s.enum[hash(path) % s.enum.length];
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type ?? (s.properties ? 'object' : undefined);
  switch (type) {
    case 'object': {
      const from = candidate && typeof candidate === 'object' && !Array.isArray(candidate) ? (candidate as Record<string, unknown>) : {};
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, sub]) => [k, shapeToSchema(sub, from[k], fallback, path ? `${path}.${k}` : k)]));
    }
    case 'array': {
      let items = Array.isArray(candidate) ? candidate : candidate === undefined || candidate === '' ? [] : [candidate];
      if (s.maxItems !== undefined) items = items.slice(0, s.maxItems);
      while (items.length < (s.minItems ?? 0)) items.push(undefined);
      return items.map((item, i) => shapeToSchema(s.items, item, fallback, `${path}[${i}]`));
    }
    case 'number':
    case 'integer': {
      const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1e-6 : undefined);
      const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1e-6 : undefined);
      const n = typeof candidate === 'number' ? candidate : Number(candidate);
      let v = Number.isFinite(n) && candidate !== '' && candidate !== undefined ? n : lo !== undefined && hi !== undefined ? (lo + hi) / 2 : (lo ?? 0);
      if (lo !== undefined) v = Math.max(lo, v);
      if (hi !== undefined) v = Math.min(hi, v);
      return type === 'integer' ? Math.round(v) : v;
    }
    case 'boolean':
      return typeof candidate === 'boolean' ? candidate : true;
    case 'null':
      return null;
    case 'string': {
      const text =
        typeof candidate === 'string'
          ? candidate
          : Array.isArray(candidate)
            ? candidate.join('；')
            : typeof candidate === 'number' || typeof candidate === 'boolean'
              ? String(candidate)
              : fallback(path);
      return s.maxLength !== undefined ? text.slice(0, s.maxLength) : text;
    }
    default:
      return candidate ?? fallback(path);
  }
}

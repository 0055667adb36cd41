/**
 * JSON mode helpers: what to tell the model, how to read its answer, how to judge it.
 * Repairs are deliberately small — the outermost `{…}` and a type conversion — because a wrong
 * answer should go back to the model (one re-ask) rather than be guessed at.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The instruction appended to the prompt: the keys the answer must have, in order. */
export function jsonInstruction(schema: TSchema): string {
  const keys = Object.keys((schema as { properties?: Record<string, unknown> }).properties ?? {});
  const keyText = keys.length ? `，且只包含这些键：${keys.map((k) => `"${k}"`).join('、')}` : '';
  return `请只输出一个严格的 JSON 对象（不要 Markdown 代码块，不要解释）${keyText}。`;
}

/** Parses the whole text; failing that, the outermost `{…}` (models like to wrap JSON in prose or fences). */
export function parseJsonLoose(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const start = text.indexOf('{');
    const end = text.lastIndexOf('}');
    if (start >= 0 && end > start) {
      try {
        return { ok: true, value: JSON.parse(text.slice(start, end + 1)) };
      } catch {
        /* fall through to the first error, which describes the whole answer */
      }
    }
    return { ok: false, error: `不是合法的 JSON：${(err as Error).message}` };
  }
}

/** Converts what can be converted ("0.8" → 0.8), then checks; returns the first few problems in words. */
export function validateJson<T>(schema: TSchema, value: unknown): { ok: true; value: T } | { ok: false; error: string } {
  const converted = Value.Convert(schema, value);
  if (Value.Check(schema, converted)) return { ok: true, value: converted as T };
  const problems = [...Value.Errors(schema, converted)].slice(0, 5).map((e) => `${e.path || '/'}: ${e.message}`);
  return { ok: false, error: `JSON 不符合要求：${problems.join('；')}` };
}

/** A schema name acceptable to OpenAI's response_format (letters, digits, _ and -, ≤ 64). */
export function schemaName(schema: TSchema, fallback: string): string {
  const title = typeof schema.title === 'string' ? schema.title : typeof schema.$id === 'string' ? schema.$id : fallback;
  return title.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'response';
}

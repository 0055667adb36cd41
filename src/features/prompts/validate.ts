/**
 * Checks a prompt text against the variables its id declares: a `{name}` the code never fills
 * (unknown) would reach the model literally; a declared one the text drops (missing) loses what
 * the code meant to tell the model. JSON examples (`{"key": …}`) and card macros (`{{user}}`) are
 * not variables.
 */
import { AppError } from '../../errors.js';
import { BUILTIN_PROMPTS, type PromptId } from './registry.js';

export interface PromptCheck {
  valid: boolean;
  unknown: string[];
  missing: string[];
}

/** `{name}`, but not `{{name}}`: double braces are character-card macros (`{{user}}`) left for later. */
const VARIABLE = /(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})/g;

export function checkPromptText(id: PromptId, text: string): PromptCheck {
  const declared: readonly string[] = BUILTIN_PROMPTS[id].placeholders;
  const used = new Set([...text.matchAll(VARIABLE)].map((m) => m[1]));
  const unknown = [...used].filter((v) => !declared.includes(v)).sort();
  const missing = declared.filter((v) => !used.has(v));
  return { valid: unknown.length === 0 && missing.length === 0 && text.trim().length > 0, unknown, missing };
}

/** The 400 that names what is wrong with a text. */
export function promptCheckError(id: string, c: PromptCheck): AppError {
  const parts = [
    c.unknown.length ? `unknown variables: ${c.unknown.map((v) => `{${v}}`).join(', ')}` : '',
    c.missing.length ? `missing variables: ${c.missing.map((v) => `{${v}}`).join(', ')}` : '',
  ].filter(Boolean);
  return new AppError('validation:prompt_variables', `Prompt "${id}" is not valid: ${parts.join('; ') || 'the text is empty'}`, { details: { unknown: c.unknown, missing: c.missing } });
}

export function assertValidPromptText(id: PromptId, text: string): void {
  const c = checkPromptText(id, text);
  if (!c.valid) throw promptCheckError(id, c);
}

/**
 * Fills `{name}` placeholders. Only the names a template declares are replaced, in one pass, so
 * literal braces (JSON examples in a prompt) stay as written and a value containing `{x}` is never
 * expanded again — the original's `str.format` broke on exactly that (spec characters.md §4.3).
 */
import { AppError } from '../../errors.js';

export type PromptValues = Record<string, string | number | undefined | null>;

export class PromptRenderError extends AppError {
  constructor(readonly templateId: string, readonly missing: string[]) {
    super('internal:prompt_render', `Prompt "${templateId}" is missing values for: ${missing.join(', ')}`, { details: { templateId, missing } });
  }
}

export interface RenderOptions {
  /** Names to replace; others stay literal. */
  placeholders: readonly string[];
  /** `error` (default) throws PromptRenderError when a declared name has no value; `empty` writes ''. */
  missing?: 'error' | 'empty';
  /** For error messages. */
  id?: string;
}

export function renderTemplate(template: string, values: PromptValues, options: RenderOptions): string {
  const known = new Set(options.placeholders);
  const absent = options.placeholders.filter((name) => template.includes(`{${name}}`) && (values[name] === undefined || values[name] === null));
  if (absent.length && options.missing !== 'empty') throw new PromptRenderError(options.id ?? '(inline)', absent);
  // `{{name}}` is a card macro (expanded later, with the persona), never a placeholder.
  return template.replace(/(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})/g, (whole, name: string) => {
    if (!known.has(name)) return whole;
    const v = values[name];
    return v === undefined || v === null ? '' : String(v);
  });
}

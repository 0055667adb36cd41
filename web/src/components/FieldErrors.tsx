import type { ReactNode } from 'react';
import { errorField, useI18n } from '../i18n/index.js';

/**
 * Places one error once: next to the field it names (when the form has that field), otherwise
 * under the form. Pair with `meta: { silent: true }` on the mutation so no toast repeats it.
 *
 * @example
 *   const errs = useFieldErrors(m.error, ['username', 'password']);
 *   <input aria-invalid={errs.invalid('password')} aria-describedby={errs.id('password')} />
 *   {errs.at('password')} … {errs.rest}
 */
export function useFieldErrors(error: unknown, fields: readonly string[], idPrefix = 'err') {
  const { errorText } = useI18n();
  const field = error ? errorField(error) : undefined;
  const onField = field && fields.includes(field) ? field : undefined;
  const text = error ? errorText(error) : '';
  const id = (name: string) => (onField === name ? `${idPrefix}-${name}` : undefined);
  return {
    invalid: (name: string) => onField === name || undefined,
    id,
    at: (name: string): ReactNode =>
      onField === name ? (
        <span className="error-text field-error" role="alert" id={id(name)}>
          {text}
        </span>
      ) : null,
    rest: (error && !onField ? (
      <p className="error-text" role="alert">
        {text}
      </p>
    ) : null) as ReactNode,
  };
}

/** Username rules that answer with HTTP errors; the key itself is shared (src/shared/username.ts). */
import { AppError } from '../../errors.js';
import { scriptsOf } from '../../shared/username.js';

export { usernameKey } from '../../shared/username.js';

/** Throws a 400 for a name that mixes Latin, Cyrillic and Greek letters. */
export function assertSingleScript(username: string): void {
  const used = scriptsOf(username);
  if (used.length > 1) {
    throw new AppError('validation:username', `username mixes ${used.join(' and ')} letters, which makes it look like another name; use letters of one script`);
  }
}

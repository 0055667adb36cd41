/**
 * Card macros (shared by the server and the web app): `{{char}}`, `{{user}}` and the legacy `<BOT>`/`<USER>`, case-insensitive (as in
 * SillyTavern). Expanded only on the way out — in the prompt and in chat messages the API returns —
 * never in stored card text, so an exported card is byte-for-byte what was imported.
 */
export interface MacroNames {
  /** The character's name. */
  char: string;
  /** The user's name as the character should address them. */
  user: string;
}

const MACRO = /\{\{\s*(char|user)\s*\}\}|<(bot|user)>/gi;

export function expandMacros(text: string, names: MacroNames): string {
  if (!text.includes('{') && !text.includes('<')) return text;
  return text.replace(MACRO, (_m, braced: string | undefined, legacy: string | undefined) => {
    const which = (braced ?? legacy)!.toLowerCase();
    return which === 'user' ? names.user : names.char;
  });
}

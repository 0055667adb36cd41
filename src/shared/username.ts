/**
 * Usernames that look the same are the same account. The name is kept as typed for display;
 * uniqueness and login use its key: NFKC (fullwidth ａ → a), case folding (Alice → alice), and the
 * Cyrillic and Greek letters that are drawn like Latin ones mapped to those (UTS #39 "skeleton",
 * restricted to the letters that matter here). Names mixing Latin, Cyrillic and Greek are refused
 * outright: that mix is how a look-alike of someone else's name is built.
 *
 * Shared: the migration that keys existing names (0002) and the users feature both need it.
 */
/** Lowercase Cyrillic and Greek letters that render like a Latin letter (Unicode confusables.txt). */
const LATIN_LOOKALIKES: Record<string, string> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  ѕ: 's', і: 'i', ї: 'i', ј: 'j', һ: 'h', ԁ: 'd', ԛ: 'q', ԝ: 'w', ӏ: 'l', ү: 'y', ɡ: 'g',
  // Greek
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', γ: 'y', ω: 'w',
};
const LOOKALIKE = new RegExp(`[${Object.keys(LATIN_LOOKALIKES).join('')}]`, 'gu');

const SCRIPTS = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
] as const;

/** Full case folding as far as JavaScript offers it: upper then lower folds ß → ss, ς → σ. */
const fold = (s: string) => s.toUpperCase().toLowerCase();

/** The key two usernames share exactly when they look alike. */
export function usernameKey(username: string): string {
  return fold(username.normalize('NFKC')).normalize('NFKC').replace(LOOKALIKE, (ch) => LATIN_LOOKALIKES[ch]);
}

/** The scripts among Latin, Cyrillic and Greek a name uses; more than one is refused. */
export function scriptsOf(username: string): string[] {
  const name = username.normalize('NFKC');
  return SCRIPTS.filter(([, re]) => re.test(name)).map(([script]) => script);
}

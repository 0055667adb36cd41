/**
 * What a character's card asks of a chat: its greeting(s), its own prompt fields and its lorebook.
 * Read from where import put them (cardToCharacter): the greeting and example dialogue in the
 * profile's dialogue section (so created characters have them too), the rest in `cardExtras.data`.
 */
import type { CardPromptFields } from '../chat/prompt.js';
import { fieldText } from './profile.js';
import type { Character } from './store.js';
import { activateLore, compiledBookFor, type LoreResult } from '../lorebooks/activate.js';

type CardSource = Pick<Character, 'profile' | 'cardExtras'>;

function cardData(c: CardSource): Record<string, unknown> {
  const data = (c.cardExtras as { data?: unknown } | null)?.data;
  return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** The opening message of a new chat (`first_mes` / `dialogue.greeting`), raw: macros expand on display. */
export function greetingOf(c: CardSource): string {
  return fieldText(c.profile, 'dialogue', 'greeting');
}

/** `alternate_greetings`, kept for flipping through the opening. */
export function alternateGreetingsOf(c: CardSource): string[] {
  const v = cardData(c).alternate_greetings;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : [];
}

export function cardPromptFields(c: CardSource): CardPromptFields {
  const data = cardData(c);
  return {
    systemPrompt: text(data.system_prompt),
    postHistoryInstructions: text(data.post_history_instructions),
    exampleDialogue: fieldText(c.profile, 'dialogue', 'exampleDialogue'),
  };
}

/** The card's `character_book`, if it has one with an entries array. */
export function characterBookOf(c: CardSource): { entries: unknown[]; [k: string]: unknown } | undefined {
  const book = cardData(c).character_book as { entries?: unknown } | undefined;
  return book && typeof book === 'object' && Array.isArray(book.entries) ? (book as { entries: unknown[] }) : undefined;
}

/** The character's lorebook entries that fire on `messages` (oldest first); undefined without a book. */
export function loreFor(c: Pick<Character, 'id' | 'updatedAt' | 'profile' | 'cardExtras'>, messages: readonly string[]): LoreResult | undefined {
  const book = characterBookOf(c);
  return book ? activateLore(compiledBookFor(c.id, c.updatedAt, book), messages) : undefined;
}

/**
 * One-to-one chat. The hot path (DESIGN §6): session → character (cache) → store the user message
 * → assemble the prompt from cached memory → stream the reply → store it → schedule memory work.
 * The only LLM call on the request path is the reply itself.
 */
import type { Cache } from '../../infra/cache/cache.js';
import type { Db } from '../../infra/db/index.js';
import type { LlmUsage } from '../../infra/llm/index.js';
import { AppError, notFound } from '../../errors.js';
import type { PromptRegistry } from '../prompts/registry.js';
import type { CharactersService } from '../characters/service.js';
import type { Actor, Character } from '../characters/store.js';
import type { UsersService } from '../users/service.js';
import type { UserSettings } from '../users/settings.js';
import * as conversations from '../conversations/store.js';
import type { Message } from '../conversations/store.js';
import { compressionDue, historyTokens, type MemoryService } from '../memory/service.js';
import { assemblePrompt, budgetsFrom, type AssembledPrompt, type HistoryMessage } from './prompt.js';
import { alternateGreetingsOf, cardPromptFields, greetingOf, loreFor } from '../characters/card-fields.js';
import { expandMacros, type MacroNames } from '../../shared/macros.js';
import type { ReplyDone, Turn, TurnEngine, TurnSink } from '../conversations/engine.js';
import { readableTime } from '../../shared/readable-time.js';

export interface ChatDeps {
  db: Db;
  cache: Cache;
  engine: TurnEngine;
  prompts: PromptRegistry;
  characters: CharactersService;
  users: UsersService;
  memory: MemoryService;
  /** The server's own share of a turn's latency (everything before the LLM call). */
  observePrelude?: (seconds: number) => void;
  now?: () => number;
}

export type ReplyResult = ReplyDone & { message: Message };

export const directConversationKey = (characterId: number) => `conv:char:${characterId}`;
const BUSY = 'A reply is still being written in this conversation; wait for it or stop it first';
/** No conversation yet: no short-term memory and no history (ids start at 1). */
const NO_CONVERSATION = 0;
/** The uncompressed tail a prompt reads (compression keeps it far shorter in practice). */
const HISTORY_READ_LIMIT = 200;
const CONTINUE_INSTRUCTION = '（请直接接着你上一条回复的结尾继续写下去，不要重复已经写过的内容，也不要另起开场。）';

/** Joins a continuation to the reply it extends: a space between Latin words, nothing between Chinese. */
export function joinContinuation(reply: string, more: string): string {
  const a = reply.replace(/\s+$/, '');
  const b = more.replace(/^\s+/, '');
  return /[A-Za-z0-9,.!?;:]$/.test(a) && /^[A-Za-z0-9]/.test(b) ? `${a} ${b}` : a + b;
}

export function createChatService(deps: ChatDeps) {
  const { db, cache, engine } = deps;
  const now = deps.now ?? Date.now;

  /** The owner's character and its conversation, created on first use; others get 404. */
  async function open(actor: Actor, characterId: number): Promise<{ character: Character; conversationId: number }> {
    const character = await deps.characters.get({ userId: actor.userId }, characterId);
    const conversationId = await cache.wrap(directConversationKey(characterId), 3600, () =>
      conversations.getOrCreateConversation(db, character.userId, { kind: 'direct', characterId }, now(), { content: greetingOf(character), characterId, alternatives: alternateGreetingsOf(character) }),
    );
    return { character, conversationId };
  }

  /** Like `open` for reads: a conversation that does not exist yet is not created by looking at it. */
  async function find(actor: Actor, characterId: number): Promise<{ character: Character; conversationId: number | undefined }> {
    const character = await deps.characters.get({ userId: actor.userId }, characterId);
    const key = directConversationKey(characterId);
    let conversationId = await cache.get<number>(key);
    if (conversationId === undefined) {
      conversationId = await conversations.findConversation(db, { kind: 'direct', characterId });
      if (conversationId !== undefined) await cache.set(key, conversationId, 3600);
    }
    return { character, conversationId };
  }

  const namesFor = (actor: Actor, character: Character): MacroNames => ({ char: character.name, user: actor.userName ?? 'User' });
  /** Messages as shown: macros (a card greeting's `{{user}}`) expanded; stored text stays as written. */
  const shown = (names: MacroNames) => (m: Message): Message => ({ ...m, content: expandMacros(m.content, names) });

  /** The prompt, and the uncompressed history's tokens (undefined when the read hit its limit: unknown). */
  async function buildPrompt(character: Character, conversationId: number, settings: UserSettings, names: MacroNames): Promise<{ prompt: AssembledPrompt; historyTokens: number | undefined }> {
    const [history, memory, rulesText] = await Promise.all([
      conversationId === NO_CONVERSATION ? [] : conversations.uncompressedMessages(db, conversationId, HISTORY_READ_LIMIT),
      deps.memory.snapshot(conversationId, [character.id]),
      deps.prompts.render('chat.rules', { character_name: character.name }),
    ]);
    const lore = loreFor(character, history.map((m) => m.content));
    const prompt = assemblePrompt({
      characterName: character.name,
      rulesText,
      profile: character.profile,
      longTerm: memory.longTerm,
      shortTerm: memory.shortTerm.map((m) => m.content),
      userProfileText: settings.profileText,
      history: history.map((m): HistoryMessage => ({ role: m.role, content: m.content })),
      budgets: budgetsFrom(settings),
      card: cardPromptFields(character),
      lore,
      names,
    });
    return {
      prompt: lore ? { ...prompt, lore: { fired: lore.fired, overBudget: lore.overBudget } } : prompt,
      historyTokens: history.length < HISTORY_READ_LIMIT ? historyTokens(history) : undefined,
    };
  }

  /** The prompt, then the reply streamed and stored through the engine. */
  async function generate(turn: Turn, character: Character, settings: UserSettings, actor: Actor, startedAt: number): Promise<{ message: Message; usage: LlmUsage }> {
    const userId = actor.userId;
    const { prompt, historyTokens: before } = await buildPrompt(character, turn.conversationId, settings, namesFor(actor, character));
    deps.observePrelude?.((performance.now() - startedAt) / 1000);
    const r = await turn.reply(
      { purpose: 'chat', messages: prompt.messages, model: settings.chatModel ?? undefined, userId, hints: { characterName: character.name, profile: character.profile } },
      character.id,
    );
    // The history the prompt read already holds the user message; the reply is what this turn adds.
    turn.memoryDue = before === undefined || compressionDue(before + historyTokens([r.message]), settings.budgetSession);
    return r;
  }

  /** A turn's fixed part: the character, its conversation and the owner's settings (all cached). */
  async function prepare(actor: Actor, characterId: number) {
    const [{ character, conversationId }, settings] = await Promise.all([open(actor, characterId), deps.users.getSettings(actor.userId)]);
    return { character, conversationId, settings, spec: { conversationId, model: settings.chatModel ?? undefined, busyMessage: BUSY } };
  }

  /** After a failed regenerate: the versions return on the interrupted reply, or as the reply again. */
  async function keepVersions(conversationId: number, old: Message, previous: string[]): Promise<void> {
    const newest = await conversations.lastMessage(db, conversationId);
    if (newest && newest.role === 'assistant' && newest.id > old.id) {
      const versions = [...previous, newest.content];
      await conversations.setAlternatives(db, conversationId, newest.id, versions, versions.length - 1);
      return;
    }
    const back = await conversations.insertMessage(db, { conversationId, role: 'assistant', content: old.content, characterId: old.characterId, status: old.status, now: now() });
    await conversations.setAlternatives(db, conversationId, back.id, previous, old.alternatives?.index ?? previous.length - 1);
  }

  return {
    open,

    /** Shows version `index` of a reply (swipe); history, memory and export use the shown one. */
    async chooseAlternative(actor: Actor, characterId: number, messageId: number, index: number): Promise<Message> {
      const { character, conversationId } = await find(actor, characterId);
      if (conversationId === undefined) throw notFound('message');
      return engine.hold(conversationId, BUSY, async () => {
        const versions = await conversations.findAlternatives(db, conversationId, messageId);
        if (!versions) throw notFound('message');
        if (index >= versions.length) throw new AppError('validation:index', `This message has ${versions.length} version(s); index ${index} is out of range`);
        const m = (await conversations.setAlternatives(db, conversationId, messageId, versions, index))!;
        return shown(namesFor(actor, character))(m);
      });
    },

    async turn(actor: Actor, characterId: number, content: string, sink: TurnSink, startedAt = performance.now()): Promise<ReplyResult> {
      const { character, settings, spec } = await prepare(actor, characterId);
      return engine.run(spec, sink, async (turn) => {
        const userMessage = await turn.storeUserMessage(content);
        const r = await generate(turn, character, settings, actor, startedAt);
        return { ...r, messageId: r.message.id, userMessageId: userMessage.id };
      });
    },

    /** Replaces the last reply with a new one. */
    async regenerate(actor: Actor, characterId: number, sink: TurnSink): Promise<ReplyResult> {
      const startedAt = performance.now();
      const { character, conversationId, settings, spec } = await prepare(actor, characterId);
      return engine.run(spec, sink, async (turn) => {
        const last = await conversations.lastMessage(db, conversationId);
        if (!last) throw new AppError('conflict:nothing_to_regenerate', 'There is no reply to regenerate yet');
        // The old reply leaves the history while the new one is written, and comes back as an alternative.
        const previous = last.role === 'assistant' ? ((await conversations.findAlternatives(db, conversationId, last.id)) ?? [last.content]) : [];
        const lastUser = last.role === 'user' ? last : await conversations.previousMessage(db, conversationId, last.id);
        if (!lastUser || lastUser.role !== 'user') throw new AppError('conflict:nothing_to_regenerate', 'There is no message to answer');
        if (last.role === 'assistant') await conversations.deleteMessage(db, conversationId, last.id);
        turn.answering(lastUser.id);
        turn.begin();
        try {
          const r = await generate(turn, character, settings, actor, startedAt);
          const versions = [...previous, r.message.content];
          const message = previous.length ? ((await conversations.setAlternatives(db, conversationId, r.message.id, versions, versions.length - 1)) ?? r.message) : r.message;
          return { ...r, message, messageId: message.id, userMessageId: lastUser.id };
        } catch (err) {
          // A failed regeneration loses nothing: the old versions go back (beside what came, if anything did).
          if (previous.length) await keepVersions(conversationId, last, previous);
          throw err;
        }
      });
    },

    /**
     * Continue: extends the last reply without a new user message. The continuation streams as a
     * reply and is then joined to the last one (to its shown version, when it has several).
     */
    async continueReply(actor: Actor, characterId: number, sink: TurnSink): Promise<ReplyResult> {
      const startedAt = performance.now();
      const { character, conversationId, settings, spec } = await prepare(actor, characterId);
      return engine.run(spec, sink, async (turn) => {
        const last = await conversations.lastMessage(db, conversationId);
        if (!last || last.role !== 'assistant') throw new AppError('conflict:nothing_to_continue', 'There is no reply to continue: the last message is not the character\'s');
        turn.begin();
        const { prompt } = await buildPrompt(character, conversationId, settings, namesFor(actor, character));
        deps.observePrelude?.((performance.now() - startedAt) / 1000);
        const r = await turn.reply(
          { purpose: 'chat', messages: [...prompt.messages, { role: 'system', content: CONTINUE_INSTRUCTION }], model: settings.chatModel ?? undefined, userId: actor.userId, hints: { characterName: character.name, profile: character.profile } },
          character.id,
        );
        const versions = (await conversations.findAlternatives(db, conversationId, last.id)) ?? [last.content];
        const index = last.alternatives?.index ?? 0;
        versions[index] = joinContinuation(versions[index], r.message.content);
        await conversations.deleteMessage(db, conversationId, r.message.id);
        const message = (await conversations.setAlternatives(db, conversationId, last.id, versions, index))!;
        const userMessageId = (await conversations.previousMessage(db, conversationId, last.id))?.id ?? 0;
        return { ...r, message, messageId: message.id, userMessageId };
      });
    },

    async list(actor: Actor, characterId: number, opts: { before?: number; limit: number }) {
      const found = await find(actor, characterId);
      const character = found.character;
      let conversationId = found.conversationId;
      // A character with a greeting has a chat from the first look: it opens with the greeting.
      if (conversationId === undefined && greetingOf(character).trim()) conversationId = (await open(actor, characterId)).conversationId;
      if (conversationId === undefined) return { items: [], nextBefore: null };
      const page = await conversations.listMessages(db, conversationId, opts);
      return { ...page, items: page.items.map(shown(namesFor(actor, character))) };
    },

    async edit(actor: Actor, characterId: number, messageId: number, content: string): Promise<Message> {
      const { conversationId } = await open(actor, characterId);
      const m = await conversations.findMessage(db, conversationId, messageId);
      if (!m) throw notFound('message');
      if (m.role !== 'user') throw new AppError('validation:message', 'Only your own messages can be edited; regenerate a reply instead');
      return (await conversations.updateMessageContent(db, conversationId, messageId, content, now()))!;
    },

    async remove(actor: Actor, characterId: number, messageId: number): Promise<void> {
      const { conversationId } = await open(actor, characterId);
      if (!(await conversations.deleteMessage(db, conversationId, messageId))) throw notFound('message');
    },

    /** Clears the conversation; short-term summaries go with it, long-term memory only if asked. */
    async clear(actor: Actor, characterId: number, includeMemories: boolean): Promise<void> {
      const { character, conversationId } = await open(actor, characterId);
      await conversations.clearMessages(db, conversationId);
      await deps.memory.clear(conversationId, [character.id], includeMemories);
      // A cleared chat starts again as a new one does: with the card's greeting.
      const greeting = greetingOf(character);
      if (greeting.trim()) {
        const m = await conversations.insertMessage(db, { conversationId, role: 'assistant', content: greeting, characterId: character.id, now: now() });
        await conversations.setAlternatives(db, conversationId, m.id, [greeting, ...alternateGreetingsOf(character)], 0);
      }
    },

    async exportConversation(actor: Actor, characterId: number, format: 'json' | 'md', timeZone?: string) {
      const { character, conversationId } = await open(actor, characterId);
      const messages = (await conversations.allMessages(db, conversationId)).map(shown(namesFor(actor, character)));
      if (format === 'json') {
        return { filename: `${character.name}.chat.json`, contentType: 'application/json', body: JSON.stringify({ character: { id: character.id, name: character.name }, exportedAt: new Date(now()).toISOString(), messages }, null, 2) };
      }
      const md = [`# ${character.name}`, '', ...messages.map((m) => `**${m.role === 'user' ? '我' : character.name}** · ${readableTime(m.createdAt, timeZone)}${m.status === 'interrupted' ? ' · (interrupted)' : ''}\n\n${m.content}\n`)].join('\n');
      return { filename: `${character.name}.chat.md`, contentType: 'text/markdown; charset=utf-8', body: md };
    },

    /**
     * The prompt the next turn would send, with each part's size. Owner only, like `/messages`: an
     * admin's read of someone's private chat belongs to explicit, audited admin routes.
     */
    async inspectPrompt(actor: Actor, characterId: number): Promise<AssembledPrompt> {
      const { character, conversationId } = await find(actor, characterId);
      return (await buildPrompt(character, conversationId ?? NO_CONVERSATION, await deps.users.getSettings(actor.userId), namesFor(actor, character))).prompt;
    },
  };
}

export type ChatService = ReturnType<typeof createChatService>;

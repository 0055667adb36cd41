/**
 * One-to-one chat. The hot path (DESIGN §6): session → character (cache) → store the user message
 * → assemble the prompt from cached memory → stream the reply → store it → schedule memory work.
 * The only LLM call on the request path is the reply itself.
 */
import type { Cache } from '../../infra/cache/cache.js';
import type { Db } from '../../infra/db/index.js';
import type { ChatMessage, LlmUsage } from '../../infra/llm/index.js';
import { AppError, notFound } from '../../errors.js';
import type { PromptRegistry } from '../prompts/registry.js';
import type { CharactersService } from '../characters/service.js';
import type { Actor, Character } from '../characters/store.js';
import type { UsersService } from '../users/service.js';
import type { UserSettings } from '../users/settings.js';
import * as conversations from '../conversations/store.js';
import type { Chat, ChatSummary, Message } from '../conversations/store.js';
import { compressionDue, historyTokens, stmCacheKey, type MemoryService } from '../memory/service.js';
import { userProfileText, type Persona, type PersonasService } from '../personas/service.js';
import { parseChatFile, type ImportedChat } from './chat-file.js';
import { assemblePrompt, budgetsFrom, type AssembledPrompt, type HistoryMessage } from './prompt.js';
import { alternateGreetingsOf, cardPromptFields, greetingOf, loreFor } from '../characters/card-fields.js';
import { expandMacros, type MacroNames } from '../../shared/macros.js';
import type { LoreResult } from '../lorebooks/activate.js';
import { restoreVersions } from '../conversations/swipes.js';
import type { ReplyDone, Turn, TurnEngine, TurnSink } from '../conversations/engine.js';
import { readableTime } from '../../shared/readable-time.js';
import { askedLayer, effectiveSettings, NO_CHAT_LLM_SETTINGS, samplingOf, type AskedSampling, type ChatLlmSettings, type ChatLlmTarget, type TurnSettings } from '../providers/chat-settings.js';

export interface ChatDeps {
  db: Db;
  /** For message pages (may lag a moment; database.read). */
  readDb?: Db;
  cache: Cache;
  engine: TurnEngine;
  prompts: PromptRegistry;
  characters: CharactersService;
  users: UsersService;
  memory: MemoryService;
  personas: PersonasService;
  /** A character's own model and sampling (features/providers); absent = the owner's settings only. */
  llmSettings?: (target: ChatLlmTarget, id: number) => Promise<ChatLlmSettings>;
  /** The server's own share of a turn's latency (everything before the LLM call). */
  observePrelude?: (seconds: number) => void;
  /** The lore of a turn (card book plus attached lorebooks); default: the card's book only. */
  lore?: (character: Character, messages: readonly string[]) => Promise<LoreResult | undefined>;
  now?: () => number;
}

export type ReplyResult = ReplyDone & { message: Message };

/** A one-to-one conversation as routes address it: a character's current chat, or one chat by id. */
export type ChatTarget = { characterId: number } | { chatId: number };

/**
 * What a caller may add to a reply: stop sequences and the history when the client brings it (the
 * OpenAI-compatible API, stateless), or instructions after the prompt (continue). A request's
 * temperature and length go into its settings (`settingsFor`).
 */
export interface ReplyOptions {
  stop?: string[];
  history?: HistoryMessage[];
  extra?: ChatMessage[];
}

/** The id of a character's current chat: the one it was last used in (routes by character id go there). */
export const directConversationKey = (characterId: number) => `conv:char:${characterId}`;
const chatCacheKey = (chatId: number) => `chat:${chatId}`;
const CHAT_TTL_S = 3600;
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

/** Who owns a chat and what it plays, cached: the hot path reads it every turn. */
interface ChatMeta {
  userId: number;
  characterId: number;
  personaId: number | null;
}

/** A resolved chat: the owner's character, the conversation, and the persona the user plays there. */
interface Resolved {
  character: Character;
  conversationId: number;
  personaId: number | null;
}

/** What a reply needs besides the turn: the character, the chat's persona and the owner's settings. */
export interface ReplyContext {
  character: Character;
  personaId: number | null;
  settings: UserSettings;
}

export function createChatService(deps: ChatDeps) {
  const { db, cache, engine } = deps;
  const now = deps.now ?? Date.now;

  const openingOf = (character: Character): conversations.Opening => ({ content: greetingOf(character), characterId: character.id, alternatives: alternateGreetingsOf(character) });

  async function chatMeta(chatId: number): Promise<ChatMeta | undefined> {
    const meta = await cache.wrap(chatCacheKey(chatId), CHAT_TTL_S, async () => {
      const r = await db.selectFrom('conversations').select(['user_id', 'character_id', 'persona_id']).where('id', '=', chatId).where('kind', '=', 'direct').executeTakeFirst();
      return r ? { userId: r.user_id, characterId: r.character_id!, personaId: r.persona_id } : null;
    });
    return meta ?? undefined;
  }

  /** The owner's chat `chatId` and its character; anyone else gets 404. */
  async function byChatId(actor: Actor, chatId: number): Promise<Resolved> {
    const meta = await chatMeta(chatId);
    if (!meta || meta.userId !== actor.userId) throw notFound('chat');
    const character = await deps.characters.get({ userId: actor.userId }, meta.characterId);
    return { character, conversationId: chatId, personaId: meta.personaId };
  }

  /** The owner's character and its current chat, created on first use; others get 404. */
  async function open(actor: Actor, characterId: number): Promise<{ character: Character; conversationId: number }> {
    const character = await deps.characters.get({ userId: actor.userId }, characterId);
    const conversationId = await cache.wrap(directConversationKey(characterId), CHAT_TTL_S, () =>
      conversations.getOrCreateConversation(db, character.userId, { kind: 'direct', characterId }, now(), openingOf(character)),
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
      if (conversationId !== undefined) await cache.set(key, conversationId, CHAT_TTL_S);
    }
    return { character, conversationId };
  }

  /** A target for writing: a chat by id, or the character's current chat (created on first use). */
  async function resolve(actor: Actor, target: ChatTarget): Promise<Resolved> {
    if ('chatId' in target) return byChatId(actor, target.chatId);
    const { character, conversationId } = await open(actor, target.characterId);
    return { character, conversationId, personaId: (await chatMeta(conversationId))?.personaId ?? null };
  }

  /** A target for reading: as `resolve`, without creating a character's first chat. */
  async function peek(actor: Actor, target: ChatTarget): Promise<Omit<Resolved, 'conversationId'> & { conversationId: number | undefined }> {
    if ('chatId' in target) return byChatId(actor, target.chatId);
    const { character, conversationId } = await find(actor, target.characterId);
    return { character, conversationId, personaId: conversationId === undefined ? null : ((await chatMeta(conversationId))?.personaId ?? null) };
  }

  /**
   * A turn in a chat makes it its character's current chat. Written only when the current one
   * changes (cached), so a turn in the current chat adds no write.
   */
  async function use(characterId: number, chatId: number): Promise<void> {
    const key = directConversationKey(characterId);
    if ((await cache.get<number>(key)) === chatId) return;
    await conversations.touchChat(db, chatId, now());
    await cache.set(key, chatId, CHAT_TTL_S);
  }

  const persona = (actor: Actor, personaId: number | null) => deps.personas.active(actor.userId, personaId);
  const namesFor = (actor: Actor, character: Character, p: Persona | undefined): MacroNames => ({ char: character.name, user: p?.name ?? actor.userName ?? 'User' });
  /** Messages as shown: macros (a card greeting's `{{user}}`) expanded; stored text stays as written. */
  const shown = (names: MacroNames) => (m: Message): Message => ({ ...m, content: expandMacros(m.content, names) });

  /**
   * The prompt, and the uncompressed history's tokens (undefined when the read hit its limit: unknown).
   * `given`: history the caller brings instead of the stored one (the OpenAI-compatible API's stateless mode).
   */
  async function buildPrompt(actor: Actor, character: Character, conversationId: number, personaId: number | null, settings: UserSettings, given?: HistoryMessage[]): Promise<{ prompt: AssembledPrompt; historyTokens: number | undefined }> {
    const [history, memory, rulesText, p] = await Promise.all([
      given ?? (conversationId === NO_CONVERSATION ? [] : conversations.recentHistory(db, conversationId, HISTORY_READ_LIMIT)),
      deps.memory.snapshot(conversationId, [character.id]),
      deps.prompts.render('chat.rules', { character_name: character.name }),
      persona(actor, personaId),
    ]);
    const messages = history.map((m) => m.content);
    const lore = deps.lore ? await deps.lore(character, messages) : loreFor(character, messages);
    const prompt = assemblePrompt({
      characterName: character.name,
      rulesText,
      profile: character.profile,
      longTerm: memory.longTerm,
      shortTerm: memory.shortTerm.map((m) => m.content),
      userProfileText: userProfileText(p, settings),
      history: history.map((m): HistoryMessage => ({ role: m.role, content: m.content, tokens: m.tokens })),
      budgets: budgetsFrom(settings),
      card: cardPromptFields(character),
      lore,
      names: namesFor(actor, character, p),
    });
    // Set, not spread: a spread would compute the inspector's lazy parts on every turn.
    if (lore) prompt.lore = { fired: lore.fired, overBudget: lore.overBudget };
    return {
      prompt,
      historyTokens: history.length < HISTORY_READ_LIMIT ? historyTokens(history) : undefined,
    };
  }

  /** The prompt, then the reply streamed and stored through the engine; `options` for continue and for other transports. */
  async function generate(turn: Turn, ctx: ReplyContext, actor: Actor, startedAt: number, options: ReplyOptions = {}): Promise<{ message: Message; usage: LlmUsage }> {
    const { character, settings } = ctx;
    const { prompt, historyTokens: before } = await buildPrompt(actor, character, turn.conversationId, ctx.personaId, settings, options.history);
    deps.observePrelude?.((performance.now() - startedAt) / 1000);
    const r = await turn.reply(
      { purpose: 'chat', messages: options.extra ? [...prompt.messages, ...options.extra] : prompt.messages, ...samplingOf(settings), userId: actor.userId, hints: { characterName: character.name, profile: character.profile }, ...(options.stop ? { stop: options.stop } : {}) },
      character.id,
      { lore: prompt.lore?.fired },
    );
    // The history the prompt read already holds the user message; the reply is what this turn adds.
    turn.memoryDue = before === undefined || compressionDue(before + historyTokens([r.message]), settings.budgetSession);
    return r;
  }

  type Prepared = Resolved & { settings: TurnSettings; spec: { conversationId: number; model?: string; busyMessage: string } };

  /** The owner's settings under the character's own model and sampling (and a request's own over those). */
  async function withOwnSettings(user: UserSettings, characterId: number, asked?: AskedSampling): Promise<TurnSettings> {
    return effectiveSettings(user, ...askedLayer(asked), (await deps.llmSettings?.('character', characterId)) ?? NO_CHAT_LLM_SETTINGS);
  }

  /** A turn's fixed part: the character, its chat and the owner's settings (all cached); the chat becomes current. */
  async function prepare(actor: Actor, target: ChatTarget): Promise<Prepared> {
    const [resolved, user] = await Promise.all([resolve(actor, target), deps.users.getSettings(actor.userId)]);
    const settings = await withOwnSettings(user, resolved.character.id);
    if ('chatId' in target) await use(resolved.character.id, resolved.conversationId);
    return { ...resolved, settings, spec: { conversationId: resolved.conversationId, model: settings.chatModel ?? undefined, busyMessage: BUSY } };
  }

  /**
   * A new reply to the last user message (inside a running turn): the old reply leaves the
   * history while the new one is written, and stays as an alternative of it.
   */
  async function replaceLastReply(turn: Turn, ctx: Prepared, actor: Actor, startedAt: number, last: Message): Promise<ReplyResult> {
    const { conversationId } = ctx;
    const previous = last.role === 'assistant' ? ((await conversations.findAlternatives(db, conversationId, last.id)) ?? [last.content]) : [];
    const lastUser = last.role === 'user' ? last : await conversations.previousMessage(db, conversationId, last.id);
    if (!lastUser || lastUser.role !== 'user') throw new AppError('conflict:nothing_to_regenerate', 'There is no message to answer');
    if (last.role === 'assistant') await conversations.deleteMessage(db, conversationId, last.id);
    turn.answering(lastUser.id);
    turn.begin();
    try {
      const r = await generate(turn, ctx, actor, startedAt);
      const versions = [...previous, r.message.content];
      const message = previous.length ? ((await conversations.setAlternatives(db, conversationId, r.message.id, versions, versions.length - 1)) ?? r.message) : r.message;
      return { ...r, message, messageId: message.id, userMessageId: lastUser.id };
    } catch (err) {
      // A failed regeneration loses nothing: the old versions go back (beside what came, if anything did).
      if (previous.length) await restoreVersions(db, conversationId, last, previous, now);
      throw err;
    }
  }

  /** Short-term memory and the greeting of a chat that starts over. */
  async function restart(character: Character, conversationId: number): Promise<void> {
    await conversations.insertOpening(db, conversationId, openingOf(character), now());
  }

  async function summaries(actor: Actor, characterId: number): Promise<ChatSummary[]> {
    await deps.characters.get({ userId: actor.userId }, characterId);
    return conversations.listChats(db, actor.userId, characterId);
  }

  async function summaryOf(actor: Actor, chat: Chat): Promise<ChatSummary> {
    return (await conversations.listChats(db, actor.userId, chat.characterId)).find((c) => c.id === chat.id)!;
  }

  return {
    open,
    resolve,

    /** One reply inside a turn another transport runs (the OpenAI-compatible API), with its LLM options and, stateless, its own history. */
    reply: generate,

    /** The settings a turn of another transport answers with: the owner's, the character's own over them, the request's own over those. */
    async settingsFor(userId: number, characterId: number, asked?: AskedSampling): Promise<TurnSettings> {
      return withOwnSettings(await deps.users.getSettings(userId), characterId, asked);
    },

    /** Shows version `index` of a reply (swipe); history, memory and export use the shown one. */
    async chooseAlternative(actor: Actor, target: ChatTarget, messageId: number, index: number): Promise<Message> {
      const { character, conversationId, personaId } = await peek(actor, target);
      if (conversationId === undefined) throw notFound('message');
      return engine.hold(conversationId, BUSY, async () => {
        const versions = await conversations.findAlternatives(db, conversationId, messageId);
        if (!versions) throw notFound('message');
        if (index >= versions.length) throw new AppError('validation:index', `This message has ${versions.length} version(s); index ${index} is out of range`);
        const m = (await conversations.setAlternatives(db, conversationId, messageId, versions, index))!;
        return shown(namesFor(actor, character, await persona(actor, personaId)))(m);
      });
    },

    async turn(actor: Actor, target: ChatTarget, content: string, sink: TurnSink, startedAt = performance.now()): Promise<ReplyResult> {
      const ctx = await prepare(actor, target);
      return engine.run(ctx.spec, sink, async (turn) => {
        const userMessage = await turn.storeUserMessage(content);
        const r = await generate(turn, ctx, actor, startedAt);
        return { ...r, messageId: r.message.id, userMessageId: userMessage.id };
      });
    },

    /** Replaces the last reply with a new one; the old one stays as an alternative (swipe). */
    async regenerate(actor: Actor, target: ChatTarget, sink: TurnSink): Promise<ReplyResult> {
      const startedAt = performance.now();
      const ctx = await prepare(actor, target);
      return engine.run(ctx.spec, sink, async (turn) => {
        const last = await conversations.lastMessage(db, ctx.conversationId);
        if (!last) throw new AppError('conflict:nothing_to_regenerate', 'There is no reply to regenerate yet');
        return replaceLastReply(turn, ctx, actor, startedAt, last);
      });
    },

    /**
     * "Save and regenerate": edits the last user message and answers it again. The reply it had
     * stays as an alternative of the new one.
     */
    async editAndRegenerate(actor: Actor, target: ChatTarget, messageId: number, content: string, sink: TurnSink): Promise<ReplyResult> {
      const startedAt = performance.now();
      const ctx = await prepare(actor, target);
      return engine.run(ctx.spec, sink, async (turn) => {
        const m = await conversations.findMessage(db, ctx.conversationId, messageId);
        if (!m) throw notFound('message');
        if (m.role !== 'user') throw new AppError('validation:message', 'Only your own messages can be edited; regenerate a reply instead');
        const last = (await conversations.lastMessage(db, ctx.conversationId))!;
        const answered = last.id === m.id || (last.role === 'assistant' && (await conversations.previousMessage(db, ctx.conversationId, last.id))?.id === m.id);
        if (!answered) throw new AppError('conflict:not_last_message', 'Only your last message can be edited and answered again; save it without regenerating instead');
        await conversations.updateMessageContent(db, ctx.conversationId, messageId, content, now());
        return replaceLastReply(turn, ctx, actor, startedAt, last.id === m.id ? { ...m, content } : last);
      });
    },

    /**
     * Continue: extends the last reply without a new user message. The continuation streams as a
     * reply and is then joined to the last one (to its shown version, when it has several).
     */
    async continueReply(actor: Actor, target: ChatTarget, sink: TurnSink): Promise<ReplyResult> {
      const startedAt = performance.now();
      const ctx = await prepare(actor, target);
      const { conversationId } = ctx;
      return engine.run(ctx.spec, sink, async (turn) => {
        const last = await conversations.lastMessage(db, conversationId);
        if (!last || last.role !== 'assistant') throw new AppError('conflict:nothing_to_continue', 'There is no reply to continue: the last message is not the character\'s');
        turn.begin();
        const r = await generate(turn, ctx, actor, startedAt, { extra: [{ role: 'system', content: CONTINUE_INSTRUCTION }] });
        const versions = (await conversations.findAlternatives(db, conversationId, last.id)) ?? [last.content];
        const index = last.alternatives?.index ?? 0;
        versions[index] = joinContinuation(versions[index], r.message.content);
        await conversations.deleteMessage(db, conversationId, r.message.id);
        const message = (await conversations.setAlternatives(db, conversationId, last.id, versions, index))!;
        const userMessageId = (await conversations.previousMessage(db, conversationId, last.id))?.id ?? 0;
        return { ...r, message, messageId: message.id, userMessageId };
      });
    },

    async list(actor: Actor, target: ChatTarget, opts: { before?: number; limit: number }) {
      const found = await peek(actor, target);
      const { character, personaId } = found;
      let conversationId = found.conversationId;
      // A character with a greeting has a chat from the first look: it opens with the greeting.
      // A conversation opened just now (with its greeting) is read back from where it was written.
      let source = deps.readDb ?? db;
      if (conversationId === undefined && greetingOf(character).trim()) {
        conversationId = (await open(actor, character.id)).conversationId;
        source = db;
      }
      if (conversationId === undefined) return { items: [], nextBefore: null };
      const [page, p] = await Promise.all([conversations.listMessages(source, conversationId, opts), persona(actor, personaId)]);
      return { ...page, items: page.items.map(shown(namesFor(actor, character, p))) };
    },

    async edit(actor: Actor, target: ChatTarget, messageId: number, content: string): Promise<Message> {
      const { conversationId } = await resolve(actor, target);
      const m = await conversations.findMessage(db, conversationId, messageId);
      if (!m) throw notFound('message');
      if (m.role !== 'user') throw new AppError('validation:message', 'Only your own messages can be edited; regenerate a reply instead');
      return (await conversations.updateMessageContent(db, conversationId, messageId, content, now()))!;
    },

    async remove(actor: Actor, target: ChatTarget, messageId: number): Promise<void> {
      const { conversationId } = await resolve(actor, target);
      if (!(await conversations.deleteMessage(db, conversationId, messageId))) throw notFound('message');
    },

    /** Clears the chat; short-term summaries go with it, long-term memory only if asked. */
    async clear(actor: Actor, target: ChatTarget, includeMemories: boolean): Promise<void> {
      const { character, conversationId } = await resolve(actor, target);
      await conversations.clearMessages(db, conversationId);
      await deps.memory.clear(conversationId, [character.id], includeMemories);
      // A cleared chat starts again as a new one does: with the card's greeting.
      await restart(character, conversationId);
    },

    async exportConversation(actor: Actor, target: ChatTarget, format: 'json' | 'md', timeZone?: string) {
      const { character, conversationId, personaId } = await resolve(actor, target);
      const [all, p, chat] = await Promise.all([conversations.allMessages(db, conversationId), persona(actor, personaId), conversations.findChat(db, actor.userId, conversationId)]);
      const names = namesFor(actor, character, p);
      const messages = all.map(shown(names));
      const base = chat?.title ? `${character.name} - ${chat.title}` : character.name;
      if (format === 'json') {
        // `versions`: every alternative of a reply, so an import brings the swipes back.
        const versionsOf = await Promise.all(all.map((m) => (m.alternatives ? conversations.findAlternatives(db, conversationId, m.id) : undefined)));
        const body = {
          format: CHAT_EXPORT_FORMAT,
          character: { id: character.id, name: character.name },
          chat: { id: conversationId, title: chat?.title ?? null, createdAt: chat?.createdAt ?? null },
          user: { name: names.user },
          exportedAt: new Date(now()).toISOString(),
          messages: messages.map((m, i) => (versionsOf[i] ? { ...m, versions: versionsOf[i]!.map((v) => expandMacros(v, names)) } : m)),
        };
        return { filename: `${base}.chat.json`, contentType: 'application/json', body: JSON.stringify(body, null, 2) };
      }
      const md = [`# ${character.name}${chat?.title ? ` · ${chat.title}` : ''}`, '', ...messages.map((m) => `**${m.role === 'user' ? names.user : character.name}** · ${readableTime(m.createdAt, timeZone)}${m.status === 'interrupted' ? ' · (interrupted)' : ''}\n\n${m.content}\n`)].join('\n');
      return { filename: `${base}.chat.md`, contentType: 'text/markdown; charset=utf-8', body: md };
    },

    /**
     * The prompt the next turn would send, with each part's size. Owner only, like `/messages`: an
     * admin's read of someone's private chat belongs to explicit, audited admin routes.
     */
    async inspectPrompt(actor: Actor, target: ChatTarget): Promise<AssembledPrompt> {
      const { character, conversationId, personaId } = await peek(actor, target);
      return (await buildPrompt(actor, character, conversationId ?? NO_CONVERSATION, personaId, await withOwnSettings(await deps.users.getSettings(actor.userId), character.id))).prompt;
    },

    // Chats -------------------------------------------------------------------------------------

    /** A character's chats, most recently used first. */
    listChats: summaries,

    async getChat(actor: Actor, chatId: number): Promise<ChatSummary> {
      const chat = await conversations.findChat(db, actor.userId, chatId);
      if (!chat) throw notFound('chat');
      return summaryOf(actor, chat);
    },

    /** Starts a new chat with the character (opening with its greeting); it becomes the current one. */
    async createChat(actor: Actor, characterId: number, input: { title?: string | null; personaId?: number | null }): Promise<ChatSummary> {
      const character = await deps.characters.get({ userId: actor.userId }, characterId);
      await deps.personas.assertOwned(actor.userId, input.personaId);
      const chat = await conversations.createChat(db, { userId: actor.userId, characterId, title: input.title?.trim() || null, personaId: input.personaId ?? null, opening: openingOf(character), now: now() });
      await cache.set(directConversationKey(characterId), chat.id, CHAT_TTL_S);
      return summaryOf(actor, chat);
    },

    /** Renames a chat or changes its persona (`null` = the default persona); the order of chats does not change. */
    async updateChat(actor: Actor, chatId: number, patch: { title?: string | null; personaId?: number | null }): Promise<ChatSummary> {
      await deps.personas.assertOwned(actor.userId, patch.personaId);
      const chat = await conversations.updateChat(db, actor.userId, chatId, { ...patch, title: patch.title === undefined ? undefined : patch.title?.trim() || null });
      if (!chat) throw notFound('chat');
      await cache.delete(chatCacheKey(chatId));
      return summaryOf(actor, chat);
    },

    /** Deletes a chat with its messages and short-term memory; the character's long-term memory stays. */
    async deleteChat(actor: Actor, chatId: number): Promise<void> {
      const chat = await conversations.findChat(db, actor.userId, chatId);
      if (!chat) throw notFound('chat');
      await engine.hold(chatId, BUSY, async () => {
        if (!(await conversations.deleteChat(db, actor.userId, chatId))) throw notFound('chat');
      });
      const key = directConversationKey(chat.characterId);
      await cache.delete(chatCacheKey(chatId), stmCacheKey(chatId));
      if ((await cache.get<number>(key)) === chatId) await cache.delete(key);
    },

    /** Imports a chat file (our JSON export, or SillyTavern JSONL) as a new chat with the character. */
    async importChat(actor: Actor, characterId: number, file: { bytes: Buffer; filename?: string }): Promise<ChatSummary> {
      const character = await deps.characters.get({ userId: actor.userId }, characterId);
      const parsed: ImportedChat = parseChatFile(file.bytes, file.filename, now());
      const chat = await conversations.createChat(db, { userId: actor.userId, characterId, title: parsed.title, now: now() });
      await conversations.insertImportedMessages(
        db,
        chat.id,
        parsed.messages.map((m) => ({ ...m, characterId: m.role === 'assistant' ? character.id : null })),
      );
      await cache.set(directConversationKey(characterId), chat.id, CHAT_TTL_S);
      // Long chats are summarised off the request path, as after a turn.
      if (parsed.messages.length) await deps.memory.schedule(chat.id).catch(() => undefined);
      return summaryOf(actor, chat);
    },
  };
}

export const CHAT_EXPORT_FORMAT = 'fastnpc.chat.v1';

export type ChatService = ReturnType<typeof createChatService>;

/**
 * One-to-one chat. The hot path (DESIGN §6): session → character (cache) → store the user message
 * → assemble the prompt from cached memory → stream the reply → store it → schedule memory work.
 * The only LLM call on the request path is the reply itself.
 */
import type { Cache } from '../../infra/cache/cache.js';
import type { Db } from '../../infra/db/index.js';
import type { LlmGateway, LlmUsage } from '../../infra/llm/index.js';
import type { Locks } from '../../infra/locks/locks.js';
import { AppError, notFound } from '../../errors.js';
import type { PromptRegistry } from '../prompts/registry.js';
import type { CharactersService } from '../characters/service.js';
import type { Actor, Character } from '../characters/store.js';
import type { UsersService } from '../users/service.js';
import * as conversations from '../conversations/store.js';
import type { Message } from '../conversations/store.js';
import type { MemoryService } from '../memory/service.js';
import { assemblePrompt, budgetsFrom, type AssembledPrompt, type HistoryMessage } from './prompt.js';
import { streamReply, withTurnLease } from '../conversations/turn.js';
import { readableTime } from '../../shared/readable-time.js';

export interface ChatDeps {
  db: Db;
  cache: Cache;
  locks: Locks;
  llm: LlmGateway;
  prompts: PromptRegistry;
  characters: CharactersService;
  users: UsersService;
  memory: MemoryService;
  /** How long a turn may hold its conversation (longer than the slowest LLM call). */
  turnLeaseMs: number;
  /** The server's own share of a turn's latency (everything before the LLM call). */
  observePrelude?: (seconds: number) => void;
  onBackgroundError?: (err: unknown) => void;
  now?: () => number;
}

export interface ReplyResult {
  message: Message;
  userMessageId: number;
  usage: LlmUsage;
}

export const directConversationKey = (characterId: number) => `conv:char:${characterId}`;

export function createChatService(deps: ChatDeps) {
  const { db, cache, llm } = deps;
  const now = deps.now ?? Date.now;

  /** The owner's character and its conversation; others get 404. */
  async function open(actor: Actor, characterId: number): Promise<{ character: Character; conversationId: number }> {
    const character = await deps.characters.get({ userId: actor.userId }, characterId);
    const conversationId = await cache.wrap(directConversationKey(characterId), 3600, () =>
      conversations.getOrCreateConversation(db, character.userId, { kind: 'direct', characterId }, now()),
    );
    return { character, conversationId };
  }

  const hold = <T>(conversationId: number, fn: () => Promise<T>) =>
    withTurnLease(deps.locks, conversationId, deps.turnLeaseMs, 'A reply is still being written in this conversation; wait for it or stop it first', fn);

  async function buildPrompt(character: Character, conversationId: number, userId: number): Promise<AssembledPrompt & { chatModel: string | null }> {
    const [settings, history, memory, rulesText] = await Promise.all([
      deps.users.getSettings(userId),
      conversations.uncompressedMessages(db, conversationId, 200),
      deps.memory.snapshot(conversationId, [character.id]),
      deps.prompts.render('chat.rules', { character_name: character.name }),
    ]);
    const prompt = assemblePrompt({
      characterName: character.name,
      rulesText,
      profile: character.profile,
      longTerm: memory.longTerm,
      shortTerm: memory.shortTerm.map((m) => m.content),
      userProfileText: settings.profileText,
      history: history.map((m): HistoryMessage => ({ role: m.role, content: m.content })),
      budgets: budgetsFrom(settings),
    });
    return { ...prompt, chatModel: settings.chatModel };
  }

  /** Streams a reply and stores it; a broken or aborted stream stores what was produced, marked. */
  async function generate(character: Character, conversationId: number, userId: number, onToken: (text: string) => void, signal: AbortSignal, startedAt: number): Promise<{ message: Message; usage: LlmUsage }> {
    const prompt = await buildPrompt(character, conversationId, userId);
    deps.observePrelude?.((performance.now() - startedAt) / 1000);
    try {
      return await streamReply(
        { db, llm, now },
        { purpose: 'chat', messages: prompt.messages, model: prompt.chatModel ?? undefined, userId, hints: { characterName: character.name, profile: character.profile } },
        { conversationId, characterId: character.id },
        onToken,
        signal,
      );
    } finally {
      scheduleMemory(conversationId);
    }
  }

  function scheduleMemory(conversationId: number) {
    // A failed enqueue (queue down) must not fail a turn that already happened.
    deps.memory.schedule(conversationId).catch((err) => deps.onBackgroundError?.(err));
  }

  return {
    open,

    async turn(actor: Actor, characterId: number, content: string, onToken: (text: string) => void, signal: AbortSignal, onUserMessage?: (m: Message) => void, startedAt = performance.now()): Promise<ReplyResult> {
      const { character, conversationId } = await open(actor, characterId);
      return hold(conversationId, async () => {
        const userMessage = await conversations.insertMessage(db, { conversationId, role: 'user', content, now: now() });
        onUserMessage?.(userMessage);
        const r = await generate(character, conversationId, actor.userId, onToken, signal, startedAt);
        return { ...r, userMessageId: userMessage.id };
      });
    },

    /** Replaces the last reply with a new one. */
    async regenerate(actor: Actor, characterId: number, onToken: (text: string) => void, signal: AbortSignal, onStart?: () => void): Promise<ReplyResult> {
      const startedAt = performance.now();
      const { character, conversationId } = await open(actor, characterId);
      return hold(conversationId, async () => {
        const last = await conversations.lastMessage(db, conversationId);
        if (!last) throw new AppError('conflict:nothing_to_regenerate', 'There is no reply to regenerate yet');
        if (last.role === 'assistant') await conversations.deleteMessage(db, conversationId, last.id);
        const lastUser = last.role === 'user' ? last : await conversations.lastMessage(db, conversationId);
        if (!lastUser || lastUser.role !== 'user') throw new AppError('conflict:nothing_to_regenerate', 'There is no message to answer');
        onStart?.();
        const r = await generate(character, conversationId, actor.userId, onToken, signal, startedAt);
        return { ...r, userMessageId: lastUser.id };
      });
    },

    async list(actor: Actor, characterId: number, opts: { before?: number; limit: number }) {
      const { conversationId } = await open(actor, characterId);
      return conversations.listMessages(db, conversationId, opts);
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
    },

    async exportConversation(actor: Actor, characterId: number, format: 'json' | 'md', timeZone?: string) {
      const { character, conversationId } = await open(actor, characterId);
      const messages = await conversations.allMessages(db, conversationId);
      if (format === 'json') {
        return { filename: `${character.name}.chat.json`, contentType: 'application/json', body: JSON.stringify({ character: { id: character.id, name: character.name }, exportedAt: new Date(now()).toISOString(), messages }, null, 2) };
      }
      const md = [`# ${character.name}`, '', ...messages.map((m) => `**${m.role === 'user' ? '我' : character.name}** · ${readableTime(m.createdAt, timeZone)}${m.status === 'interrupted' ? ' · (interrupted)' : ''}\n\n${m.content}\n`)].join('\n');
      return { filename: `${character.name}.chat.md`, contentType: 'text/markdown; charset=utf-8', body: md };
    },

    /** The prompt the next turn would send, with each part's size (owner or admin). */
    async inspectPrompt(actor: Actor, characterId: number): Promise<AssembledPrompt> {
      const character = await deps.characters.get(actor, characterId);
      const conversationId = await cache.wrap(directConversationKey(characterId), 3600, () =>
        conversations.getOrCreateConversation(db, character.userId, { kind: 'direct', characterId }, now()),
      );
      return buildPrompt(character, conversationId, character.userId);
    },
  };
}

export type ChatService = ReturnType<typeof createChatService>;

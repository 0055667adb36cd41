/**
 * Characters and groups as models behind an OpenAI-compatible API. Every completion is a turn of
 * the one turn engine (same admission, limits, storage, memory jobs and metrics as the web app):
 *
 * - a character, stateful (default): the server keeps the chat; the client may resend its whole
 *   history and only what the stored tail lacks is appended (matched by role and content);
 * - a character, stateless: the client's messages are the history; profile, lorebook and long-term
 *   memory still apply; nothing is stored;
 * - a group: one round of member turns on the group's chat, for the client's last user message.
 *
 * The client's system messages are not sent: the character's own prompt is the system prompt
 * (apps such as SillyTavern send theirs, which would fight it).
 */
import type { Db } from '../../infra/db/index.js';
import { estimateTokens } from '../../infra/llm/types.js';
import { LIMITS } from '../../shared/limits.js';
import { AppError, isAppError, notFound } from '../../errors.js';
import type { Actor, Character } from '../characters/store.js';
import type { ChatService } from '../chat/service.js';
import type { CharactersService } from '../characters/service.js';
import type { HistoryMessage } from '../chat/prompt.js';
import type { GroupsService } from '../groups/service.js';
import * as conversations from '../conversations/store.js';
import type { Message } from '../conversations/store.js';
import type { Turn, TurnEngine, TurnSink } from '../conversations/engine.js';
import type { TokenUsage } from '../conversations/events.js';
import { keyAllows, type ApiCaller } from '../api-keys/service.js';
import * as store from './store.js';
import type { ModelRow } from './store.js';
import type { AskedSampling } from '../providers/chat-settings.js';

export interface OpenAiDeps {
  db: Db;
  engine: TurnEngine;
  chat: ChatService;
  groups: GroupsService;
  characters: CharactersService;
  /** The server's own share of a turn's latency (everything before the LLM call). */
  observePrelude?: (seconds: number) => void;
}

export interface InputMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string;
}

export interface CompletionRequest {
  model: string;
  messages: InputMessage[];
  temperature?: number;
  maxTokens?: number;
  stop?: string[];
  /** OpenAI's end-user id; kept with the request for the chat selection below. */
  user?: string;
  stateless: boolean;
  /** `X-FastNPC-Chat`: which of the character's chats (today: its one chat; another id is 404). */
  chatId?: number;
}

/** A group member's reply in the `fastnpc` extension. */
export interface SpokenPart {
  characterId: number;
  name: string;
  messageId: number;
  content: string;
}

export interface CompletionResult {
  model: string;
  content: string;
  finishReason: 'stop' | 'length';
  usage: TokenUsage;
  fastnpc: {
    kind: 'character' | 'group';
    stateless: boolean;
    conversationId: number | null;
    /** The stored reply (characters); null when stateless. */
    messageId: number | null;
    userMessageId: number | null;
    /** Groups: each member's reply of the round. */
    messages?: SpokenPart[];
  };
}

export const modelId = (m: Pick<ModelRow, 'kind' | 'id'>) => `${m.kind}/${m.id}`;
const MODEL_ID = /^(character|group)\/(\d{1,15})$/;
/** How many stored messages a resent history is matched against. */
const TAIL = 100;
const BUSY = 'A reply is still being written in this chat; wait for it or stop it first';

/** A speaker's line in a group reply, as apps show it. */
export const speakerPrefix = (name: string) => `${name}: `;

/** Same message for matching a resent history: role and content (trimmed). */
const same = (a: Pick<InputMessage, 'role' | 'content'>, b: Pick<Message, 'role' | 'content'>) => a.role === b.role && a.content.trim() === b.content.trim();

/** How a resent history relates to the stored chat. */
export type Reconciled<S> =
  /** `fresh` is what the stored tail lacks (everything, with no overlap; nothing, for a retry of an unanswered turn). */
  | { kind: 'append'; fresh: InputMessage[] }
  /** The client has the chat up to a user message the server already answered with `replies`: the app regenerates. */
  | { kind: 'regenerate'; replies: S[] };

/**
 * Matches the client's history against the stored tail, by role and content:
 * - its start is an end of the stored tail (the client is ahead, or level): the rest is new;
 * - it all sits inside the stored tail, followed there only by replies: a regeneration (a history
 *   of one message is never one: a client that sends only the new message may repeat itself);
 * - otherwise nothing overlaps and everything is new.
 */
export function reconcile<S extends Pick<Message, 'role' | 'content'>>(client: InputMessage[], stored: S[]): Reconciled<S> {
  const matchesAt = (offset: number, length: number) => {
    for (let i = 0; i < length; i++) if (!same(client[i], stored[offset + i])) return false;
    return true;
  };
  for (let j = Math.min(client.length, stored.length); j > 0; j--) {
    if (matchesAt(stored.length - j, j)) return { kind: 'append', fresh: client.slice(j) };
  }
  const n = client.length;
  // A lone message carries no history to match: sent again, it is said again.
  for (let k = n > 1 ? stored.length - n - 1 : -1; k >= 0; k--) {
    const after = stored.slice(k + n);
    if (after.every((m) => m.role === 'assistant') && matchesAt(k, n)) return { kind: 'regenerate', replies: after };
  }
  return { kind: 'append', fresh: client };
}

export function createOpenAiService(deps: OpenAiDeps) {
  const { db, engine, chat } = deps;

  const actorOf = (caller: ApiCaller): Actor => ({ userId: caller.userId, userName: caller.username });

  /** A character through the characters service (cached, as every turn loads it); a group from the store. */
  async function modelById(userId: number, kind: ModelRow['kind'], id: number): Promise<ModelRow | undefined> {
    if (kind === 'group') return store.findModel(db, userId, kind, id);
    const c = await deps.characters.get({ userId }, id).catch((err: unknown) => {
      if (isAppError(err, 'not_found')) return undefined;
      throw err;
    });
    return c && { kind, id: c.id, name: c.name, createdAt: c.createdAt };
  }

  /** A model name: `character/<id>`, `group/<id>` or a unique name (`李白`); outside the key's scope it does not exist. */
  async function resolveModel(caller: ApiCaller, name: string): Promise<ModelRow> {
    const byId = MODEL_ID.exec(name);
    const found = byId ? [await modelById(caller.userId, byId[1] as ModelRow['kind'], Number(byId[2]))].filter((m) => m !== undefined) : await store.findModelsByName(db, caller.userId, name.trim());
    const allowed = found.filter((m) => keyAllows(caller.key.scope, m));
    if (!allowed.length) throw new AppError('not_found:model', `The model '${name}' does not exist or this key may not use it`, { details: { param: 'model' } });
    if (allowed.length > 1) throw new AppError('bad_request:model_ambiguous', `'${name}' names several models: use one of ${allowed.map(modelId).join(', ')}`, { details: { param: 'model' } });
    return allowed[0];
  }

  /**
   * Which of the character's chats a stateful completion continues — the one place that decides,
   * so several chats per character (by `X-FastNPC-Chat` or `user`) change only this.
   */
  async function conversationFor(actor: Actor, characterId: number, req: Pick<CompletionRequest, 'chatId' | 'user'>): Promise<{ character: Character; conversationId: number; personaId: number | null }> {
    // `X-FastNPC-Chat` picks one of the character's chats; without it, its current chat.
    const chosen = await chat.resolve(actor, req.chatId !== undefined ? { chatId: req.chatId } : { characterId });
    if (chosen.character.id !== characterId) throw notFound('chat');
    return chosen;
  }

  /** The turn answers a user message that is already stored (a retry, a regeneration). */
  async function answerStored(turn: Turn, stored: Message | undefined): Promise<number> {
    if (stored?.role !== 'user') throw new AppError('bad_request:nothing_new', 'Every message is already in this chat and answered; send a new user message', { details: { param: 'messages' } });
    turn.answering(stored.id);
    turn.begin();
    return stored.id;
  }

  /** A regeneration failed: the earlier versions stay, on the partial reply if one was stored, else as the reply again. */
  async function keepVersions(conversationId: number, userMessageId: number, characterId: number, previous: string[]): Promise<void> {
    const newest = await conversations.lastMessage(db, conversationId);
    const partial = newest?.role === 'assistant' && newest.id > userMessageId ? newest : undefined;
    const versions = partial ? [...previous, partial.content] : previous;
    const target = partial ?? (await conversations.insertMessage(db, { conversationId, role: 'assistant', content: previous[previous.length - 1], characterId, now: Date.now() }));
    if (versions.length > 1) await conversations.setAlternatives(db, conversationId, target.id, versions, versions.length - 1);
  }

  function finishOf(req: CompletionRequest, usage: TokenUsage): CompletionResult['finishReason'] {
    return req.maxTokens !== undefined && usage.completionTokens >= req.maxTokens ? 'length' : 'stop';
  }

  async function completeCharacter(caller: ApiCaller, model: ModelRow, req: CompletionRequest, history: InputMessage[], sink: TurnSink, startedAt: number): Promise<CompletionResult> {
    const actor = actorOf(caller);
    // The character's own model and sampling, as in the web app; the request's own sampling goes over them.
    const settings = await chat.settingsFor(caller.userId, model.id, askedOf(req));
    const chatModel = settings.chatModel ?? undefined;
    const last = history[history.length - 1];
    const ask = (turn: Turn, character: Character, history?: HistoryMessage[], personaId: number | null = null) => chat.reply(turn, { character, settings, personaId }, actor, startedAt, { stop: req.stop, history });

    if (req.stateless) {
      // Not `chat.open`: that would create the character's stored chat.
      const c = await deps.characters.get({ userId: caller.userId }, model.id);
      return engine.run({ conversationId: 0, model: chatModel, busyMessage: BUSY, stateless: true }, sink, async (turn) => {
        await turn.storeUserMessage(last.content);
        const r = await ask(turn, c, history.map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })));
        return result(model, r.message.content, finishOf(req, r.usage), r.usage, { kind: 'character', stateless: true, conversationId: null, messageId: null, userMessageId: null });
      });
    }

    const { character, conversationId, personaId } = await conversationFor(actor, model.id, req);
    return engine.run({ conversationId, model: chatModel, busyMessage: BUSY }, sink, async (turn) => {
      // Matching needs no more stored messages than the client sent (plus the replies a regeneration replaces).
      const tail = (await conversations.listMessages(db, conversationId, { limit: Math.min(TAIL, history.length + 2) })).items.reverse();
      const plan = reconcile(history, tail);
      // Earlier versions of the reply being regenerated: kept as its alternatives (swipes), as the web app does.
      const previous: string[] = [];
      let userMessageId: number;
      if (plan.kind === 'regenerate') {
        for (const m of plan.replies) {
          previous.push(...((await conversations.findAlternatives(db, conversationId, m.id)) ?? [m.content]));
          await conversations.deleteMessage(db, conversationId, m.id);
        }
        userMessageId = await answerStored(turn, tail[tail.length - plan.replies.length - 1]);
      } else if (!plan.fresh.length) {
        // Everything is stored already: a retry of a turn that got no reply answers it again.
        userMessageId = await answerStored(turn, tail[tail.length - 1]);
      } else {
        for (const m of plan.fresh.slice(0, -1)) {
          await conversations.insertMessage(db, { conversationId, role: m.role as 'user' | 'assistant', content: m.content, characterId: m.role === 'assistant' ? character.id : null, now: Date.now() });
        }
        userMessageId = (await turn.storeUserMessage(last.content)).id;
      }
      let r: Awaited<ReturnType<typeof ask>>;
      try {
        r = await ask(turn, character, undefined, personaId);
      } catch (err) {
        if (previous.length) await keepVersions(conversationId, userMessageId, character.id, previous);
        throw err;
      }
      if (previous.length) await conversations.setAlternatives(db, conversationId, r.message.id, [...previous, r.message.content], previous.length);
      return result(model, r.message.content, finishOf(req, r.usage), r.usage, { kind: 'character', stateless: false, conversationId, messageId: r.message.id, userMessageId });
    });
  }

  async function completeGroup(caller: ApiCaller, model: ModelRow, req: CompletionRequest, history: InputMessage[], sink: TurnSink): Promise<CompletionResult> {
    if (req.stateless) throw new AppError('bad_request:stateless_group', 'Stateless mode is for characters: a group round needs its stored chat', { details: { param: 'fastnpc.stateless' } });
    const parts: SpokenPart[] = [];
    const recording = recordingSink(sink, parts);
    const done = await deps.groups.turn(actorOf(caller), model.id, { content: history[history.length - 1].content, asked: askedOf(req) }, recording);
    const content = parts.map((p) => speakerPrefix(p.name) + p.content).join('\n\n');
    // The round's calls report no usage to the caller; estimated like a provider that reports none.
    const usage = { promptTokens: 0, completionTokens: estimateTokens(content) };
    return result(model, content, 'stop', usage, { kind: 'group', stateless: false, conversationId: null, messageId: null, userMessageId: done.userMessageId, messages: parts });
  }

  function result(model: ModelRow, content: string, finishReason: CompletionResult['finishReason'], usage: TokenUsage, fastnpc: CompletionResult['fastnpc']): CompletionResult {
    return { model: modelId(model), content, finishReason, usage, fastnpc };
  }

  return {
    resolveModel,

    /** The key's models: its user's characters and groups, within the key's scope. */
    async models(caller: ApiCaller): Promise<ModelRow[]> {
      return (await store.listModels(db, caller.userId)).filter((m) => keyAllows(caller.key.scope, m));
    },

    /**
     * One completion. Resolving the model and checking the messages happen before the sink begins
     * (plain HTTP errors); after `begin`, a failure ends the stream.
     */
    async complete(caller: ApiCaller, model: ModelRow, req: CompletionRequest, sink: TurnSink, startedAt = performance.now()): Promise<CompletionResult> {
      const history = req.messages.filter((m) => m.role === 'user' || m.role === 'assistant');
      const last = history[history.length - 1];
      if (!last || last.role !== 'user' || !last.content.trim()) throw new AppError('validation:messages', 'The last message must be a non-empty user message', { details: { param: 'messages' } });
      // The new message has the web app's limit; resent history is bounded by the body limit.
      if (last.content.length > LIMITS.message.max) throw new AppError('validation:messages', `The last message is longer than ${LIMITS.message.max} characters`, { details: { param: 'messages', rule: 'maxLength', limit: LIMITS.message.max } });
      return model.kind === 'group' ? completeGroup(caller, model, req, history, sink) : completeCharacter(caller, model, req, history, sink, startedAt);
    },
  };
}

export type OpenAiService = ReturnType<typeof createOpenAiService>;

const askedOf = (req: CompletionRequest): AskedSampling => ({ temperature: req.temperature, maxTokens: req.maxTokens, stop: req.stop });

/**
 * The caller's sink, also recording each member's reply as it streams (the answer's content and
 * `fastnpc.messages`). Everything else is the caller's own: the abort signal, `begin`, and the
 * frame pace (without it the group's upstream reads went unpaced).
 */
export function recordingSink(sink: TurnSink, parts: SpokenPart[]): TurnSink {
  return {
    ...sink,
    token(text) {
      const p = parts[parts.length - 1];
      if (p) p.content += text;
      sink.token(text);
    },
    speaker(data) {
      parts.push({ ...data, messageId: 0, content: '' });
      sink.speaker(data);
    },
    messageDone(data) {
      const p = parts[parts.length - 1];
      if (p) p.messageId = data.messageId;
      sink.messageDone(data);
    },
  };
}

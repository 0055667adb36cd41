/**
 * The turn engine: the whole life of a turn — one-to-one, a group member's reply, regenerate,
 * continue, and later a completion through the OpenAI-compatible API — in one place:
 *
 *   1. lease      the conversation is held (409 `busy_conversation` + Retry-After otherwise); the
 *                 lease is short and renewed by a heartbeat while the turn runs, so a holder that
 *                 dies frees it within one TTL;
 *   2. admission  an LLM slot for the whole turn, refused while the model's breaker is open or the
 *                 queue is full (503 `llm_unavailable` / `llm_busy` + Retry-After): decided BEFORE
 *                 anything is stored or the stream opens, so a refused turn leaves no trace;
 *   3. the caller's steps: store the user message and `begin()` (from here a failure is an `error`
 *                 event, not an HTTP error), then per reply: prompt → `reply()` streams tokens as
 *                 events and stores the message (a broken stream stores what came, marked);
 *   4. memory     scheduled once the turn ends, if it stored anything and the caller did not
 *                 rule it out (`memoryDue = false`: the history is still under budget); never on the
 *                 request path.
 *
 * Events are typed (./events.ts); the HTTP layer (src/http/sse.ts `serveTurn`) serializes them.
 */
import { LRUCache } from 'lru-cache';
import { AppError } from '../../errors.js';
import type { Db } from '../../infra/db/index.js';
import type { LlmGateway, LlmRequest, LlmSlot, LlmUsage } from '../../infra/llm/index.js';
import { keepAlive, type Locks } from '../../infra/locks/locks.js';
import * as conversations from './store.js';
import type { Message } from './store.js';
import type { TurnEventData } from './events.js';
import type { FiredEntry } from '../lorebooks/activate.js';

export type { TurnEvent, TurnEventData, TurnEventName, ReplyDone, GroupDone } from './events.js';

/** Where a turn's events go: the HTTP layer's SSE stream, or nowhere (a JSON answer). */
export interface TurnSink {
  /** The hot path: one call per token, no event object. */
  token(text: string): void;
  speaker(data: TurnEventData['speaker']): void;
  messageDone(data: TurnEventData['message_done']): void;
  /** The user message is stored: from now on failures are `error` events. */
  begin(): void;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
  /** The sink's frame period: the upstream is read no more often once text flows (LlmRequest.paceMs). */
  readonly paceMs?: number;
}

export interface TurnEngineDeps {
  db: Db;
  llm: LlmGateway;
  locks: Locks;
  memory: { schedule(conversationId: number): Promise<unknown> };
  /** The lease's TTL; renewed every third of it while the turn runs. */
  leaseMs: number;
  /**
   * This process runs every turn of the database (embedded mode): a conversation's messages left
   * `pending` by a dead process can only predate it, so they are swept once per conversation, not
   * before every turn.
   */
  singleProcess?: boolean;
  now?: () => number;
  onBackgroundError?: (err: unknown) => void;
  /** Told of each stored complete reply, after storage (inspection records; must not block). */
  onReply?: (reply: { messageId: number; request: Omit<LlmRequest, 'slot'>; usage: LlmUsage; latencyMs: number } & ReplyTraceExtras) => void;
}

/** What the caller knows about a reply's prompt beyond the request (for its inspection record). */
export interface ReplyTraceExtras {
  /** Lorebook entries that fired for this prompt. */
  lore?: FiredEntry[];
}

/** What is stored with a reply besides its text: why a group member spoke (JSON), in the same insert. */
export interface ReplyStored {
  speakerReason?: string | null;
}

export interface TurnSpec {
  conversationId: number;
  /** The chat model the turn will use (the breaker is per model); undefined = the configured one. */
  model?: string;
  /** The 409's message when another turn holds the conversation. */
  busyMessage: string;
  /**
   * Stores nothing (the OpenAI-compatible API's stateless mode): no lease, no user message, no
   * reply row, no memory work; `storeUserMessage` and `reply` return unsaved messages (id 0).
   * Admission, streaming, limits and abort are those of any turn.
   */
  stateless?: boolean;
}

export interface Turn {
  readonly conversationId: number;
  /** Aborts when the client leaves or the lease is lost. */
  readonly signal: AbortSignal;
  /** The admitted slot, for the turn's other LLM calls (the group moderator). */
  readonly slot: LlmSlot;
  readonly sink: TurnSink;
  /** Stores the user message and begins the stream. */
  storeUserMessage(content: string): Promise<Message>;
  /** The turn changed the conversation some other way (regenerate removed the old reply): begin the stream. */
  begin(): void;
  /** The turn answers this stored user message (regenerate): settled like a new one. */
  answering(userMessageId: number): void;
  /**
   * Set by a caller that knows whether memory work is due after this turn (a one-to-one chat whose
   * history stays under the session budget sets false: no job, no reads). Unset: scheduled.
   */
  memoryDue?: boolean;
  /** Streams one reply as `characterId` into storage; a broken or aborted stream stores what came, marked `interrupted`, and rethrows. */
  reply(request: Omit<LlmRequest, 'slot'>, characterId: number, trace?: ReplyTraceExtras, stored?: ReplyStored): Promise<{ message: Message; usage: LlmUsage }>;
}

export function createTurnEngine(deps: TurnEngineDeps) {
  const now = deps.now ?? Date.now;
  // Conversations swept since this process started (singleProcess); forgetting one costs a sweep.
  const swept = deps.singleProcess ? new LRUCache<number, true>({ max: 100_000 }) : undefined;

  async function run<T>(spec: TurnSpec, sink: TurnSink, steps: (turn: Turn) => Promise<T>): Promise<T> {
    const { conversationId } = spec;
    const lease = spec.stateless ? NO_LEASE : await deps.locks.tryAcquire(`turn:${conversationId}`, deps.leaseMs);
    if (!lease) throw new AppError('busy_conversation', spec.busyMessage, { retryAfter: Math.ceil(deps.leaseMs / 1000) });
    const abort = new AbortController();
    const onClientGone = () => abort.abort(sink.signal.reason);
    if (sink.signal.aborted) onClientGone();
    else sink.signal.addEventListener('abort', onClientGone, { once: true });
    const stopHeartbeat = spec.stateless ? () => {} : keepAlive(lease, deps.leaseMs, () => abort.abort(new AppError('busy_conversation', 'This turn lost its hold on the conversation')));
    let slot: LlmSlot | undefined;
    let current: Turn | undefined;
    let stored = false;
    // The turn's user message stays `pending` until a reply is stored; with none, it is `failed`.
    let pendingUserMessage: number | undefined;
    const settle = async (status: 'complete' | 'failed') => {
      if (pendingUserMessage === undefined) return;
      const id = pendingUserMessage;
      pendingUserMessage = undefined;
      try {
        await conversations.settleUserMessage(deps.db, id, status);
      } catch (err) {
        swept?.delete(conversationId); // the message stays pending: the next turn must sweep it
        throw err;
      }
    };
    try {
      slot = await deps.llm.admit({ purpose: 'chat', model: spec.model }, abort.signal);
      const admitted = slot;
      const turn: Turn = {
        conversationId,
        signal: abort.signal,
        slot: admitted,
        sink,
        async storeUserMessage(content) {
          if (spec.stateless) {
            turn.begin();
            return unsaved({ role: 'user', content, characterId: null }, now());
          }
          // We hold the lease, so a `pending` message here was left by a process that died mid-turn.
          if (!swept?.has(conversationId)) {
            await conversations.failAbandonedMessages(deps.db, conversationId);
            swept?.set(conversationId, true);
          }
          const m = await conversations.insertMessage(deps.db, { conversationId, role: 'user', content, status: 'pending', now: now() });
          pendingUserMessage = m.id;
          turn.begin();
          return m;
        },
        begin() {
          if (!spec.stateless) stored = true;
          sink.begin();
        },
        answering(userMessageId) {
          pendingUserMessage = userMessageId;
        },
        async reply(request, characterId, trace, extra) {
          const base = { conversationId, role: 'assistant' as const, characterId, speakerReason: extra?.speakerReason };
          let text = '';
          const started = now();
          try {
            const usage = await deps.llm.stream(
              { ...request, slot: admitted, paceMs: sink.paceMs },
              (chunk) => {
                text += chunk;
                sink.token(chunk);
              },
              abort.signal,
            );
            if (spec.stateless) return { message: unsaved({ role: 'assistant', content: text, characterId }, now()), usage };
            const { message, settled } = await conversations.insertReply(deps.db, { ...base, content: text, tokensIn: usage.promptTokens, tokensOut: usage.completionTokens, now: now() }, pendingUserMessage);
            stored = true;
            // Settled in the reply's own commit (store.insertReply), unless SQLite's connection was held; then now.
            if (settled) pendingUserMessage = undefined;
            else await settle('complete');
            deps.onReply?.({ messageId: message.id, request, usage, latencyMs: now() - started, ...trace });
            return { message, usage };
          } catch (err) {
            if (text && !spec.stateless) {
              await conversations.insertMessage(deps.db, { ...base, content: text, status: 'interrupted', now: now() });
              stored = true;
              await settle('complete');
            }
            throw err;
          }
        },
      };
      current = turn;
      const result = await steps(turn);
      await settle('complete'); // a turn may end well with no reply (a group nobody answered)
      return result;
    } finally {
      await settle('failed').catch((err) => deps.onBackgroundError?.(err));
      slot?.release();
      stopHeartbeat();
      sink.signal.removeEventListener('abort', onClientGone);
      await lease.release();
      // A failed enqueue (queue down) must not fail a turn that already happened.
      if (stored && current?.memoryDue !== false) deps.memory.schedule(conversationId).catch((err) => deps.onBackgroundError?.(err));
    }
  }

  /** Holds the conversation for non-LLM work (clearing it) so it cannot interleave with a turn. */
  async function hold<T>(conversationId: number, busyMessage: string, fn: () => Promise<T>): Promise<T> {
    const lease = await deps.locks.tryAcquire(`turn:${conversationId}`, deps.leaseMs);
    if (!lease) throw new AppError('busy_conversation', busyMessage, { retryAfter: Math.ceil(deps.leaseMs / 1000) });
    const stop = keepAlive(lease, deps.leaseMs, () => {});
    try {
      return await fn();
    } finally {
      stop();
      await lease.release();
    }
  }

  return { run, hold };
}

export type TurnEngine = ReturnType<typeof createTurnEngine>;

/** A stateless turn holds nothing: its "lease" is always there. */
const NO_LEASE = { renew: async () => true, release: async () => {} };

/** A message of a stateless turn: never stored, so id 0. */
function unsaved(m: Pick<Message, 'role' | 'content' | 'characterId'>, at: number): Message {
  return { ...m, id: 0, status: 'complete', compressed: false, createdAt: at, editedAt: null, alternatives: null };
}

/** A sink that drops events: a JSON (non-streamed) turn, which still stops when the client goes away. */
export function silentSink(signal: AbortSignal, paceMs?: number): TurnSink {
  return { token() {}, speaker() {}, messageDone() {}, begin() {}, signal, paceMs };
}

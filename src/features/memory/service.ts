/**
 * Three-layer memory, maintained off the request path by a deduplicated job per conversation:
 * compress old messages into a short-term summary, fold old summaries into long-term facts,
 * and trim long-term memory to its budget (pinned facts are never dropped).
 */
import { Type } from '@sinclair/typebox';
import type { Cache } from '../../infra/cache/cache.js';
import type { Db } from '../../infra/db/index.js';
import { estimateTokens, type LlmGateway } from '../../infra/llm/index.js';
import type { JobQueue } from '../../infra/queue/job-queue.js';
import type { PromptRegistry } from '../prompts/registry.js';
import * as conversations from '../conversations/store.js';
import type { Message } from '../conversations/store.js';
import * as store from './store.js';
import type { MemoryItem, MemoryScope } from './store.js';

export const MEMORY_JOB = 'memory';

export interface MemoryJobPayload {
  conversationId: number;
  /** Compress even when under budget ("compress now"). */
  force?: boolean;
}

export interface MemoryBudgets {
  session: number;
  shortTerm: number;
  longTerm: number;
}

/** Who the conversation's memory is about: its owner, budgets and the characters that remember. */
export interface ConversationMemoryContext {
  userId: number;
  characterIds: number[];
  characterName: string;
  budgets: MemoryBudgets;
  /** Display name per character id, for group transcripts. */
  speakerNames: Map<number, string>;
  /** A group conversation: summarised with the group prompt (`characterName` lists the members). */
  group?: boolean;
}

export interface MemorySnapshot {
  shortTerm: MemoryItem[];
  longTerm: MemoryItem[];
}

const SummarySchema = Type.Object({ short_memories: Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 50 }) });
const IntegrationSchema = Type.Object({
  long_term_memories: Type.Array(
    Type.Object({ content: Type.String({ maxLength: 1000 }), importance: Type.Number({ minimum: 0, maximum: 15 }), reason: Type.Optional(Type.String()) }, { additionalProperties: true }),
    { maxItems: 100 },
  ),
});

export const stmCacheKey = (conversationId: number) => `stm:${conversationId}`;
export const ltmCacheKey = (characterId: number) => `ltm:${characterId}`;
const MEMORY_TTL_S = 300;

// A history row counts its tokens once (conversations/history-cache.ts); other items are counted here.
const tokensOf = (items: { content: string; tokens?: number }[]) => items.reduce((n, m) => n + (m.tokens ?? estimateTokens(m.content)) + 2, 0);
const normalise = (s: string) => s.replace(/\s+/g, '').toLowerCase();

/**
 * Which messages to summarise: when the uncompressed history exceeds the session budget, the
 * oldest ones, leaving about half the budget of recent messages in the prompt.
 */
/** The tokens of a history as compression counts them. */
export const historyTokens = tokensOf;

/**
 * Whether a turn leaves memory work to do: only compression can start it (integration and
 * trimming follow from what compression adds), and compression starts when the uncompressed
 * history passes the session budget. Lets a turn skip the memory job — and its reads — entirely.
 */
export function compressionDue(uncompressedTokens: number, sessionBudget: number): boolean {
  return uncompressedTokens > sessionBudget;
}

export function planCompression(messages: Message[], sessionBudget: number, force = false): Message[] {
  const total = tokensOf(messages);
  if (messages.length < 2 || (!force && !compressionDue(total, sessionBudget))) return [];
  const keep = force ? 0 : Math.floor(sessionBudget / 2);
  const out: Message[] = [];
  let remaining = total;
  for (const m of messages) {
    if (remaining <= keep) break;
    // Keep the newest exchange in the prompt even on "compress now".
    if (messages.length - out.length <= 2) break;
    out.push(m);
    remaining -= estimateTokens(m.content) + 2;
  }
  return out;
}

/** Which short-term items to fold into long-term memory: the oldest, down to half the budget. */
export function planIntegration(items: MemoryItem[], shortTermBudget: number): MemoryItem[] {
  if (tokensOf(items) <= shortTermBudget) return [];
  const out: MemoryItem[] = [];
  let remaining = tokensOf(items);
  for (const m of items) {
    if (remaining <= shortTermBudget / 2) break;
    out.push(m);
    remaining -= estimateTokens(m.content) + 2;
  }
  return out;
}

/** Long-term items to drop: least important unpinned first, until the rest fits. */
export function planTrim(items: MemoryItem[], longTermBudget: number): MemoryItem[] {
  let total = tokensOf(items);
  const drop: MemoryItem[] = [];
  const candidates = items.filter((m) => !m.pinned).sort((a, b) => a.importance - b.importance || a.id - b.id);
  for (const m of candidates) {
    if (total <= longTermBudget) break;
    drop.push(m);
    total -= estimateTokens(m.content) + 2;
  }
  return drop;
}

export interface MemoryDeps {
  db: Db;
  cache: Cache;
  queue: JobQueue;
  llm: LlmGateway;
  prompts: PromptRegistry;
  /** Resolves who a conversation's memory is about (direct chat or group). */
  contextOf: (conversationId: number) => Promise<ConversationMemoryContext | undefined>;
  /** Called after each job with what it did (metrics). */
  onJobDone?: (result: MemoryJobResult) => void;
  now?: () => number;
}

export interface MemoryJobResult {
  compressed: number;
  folded: number;
  added: number;
  dropped: number;
}

export function createMemoryService(deps: MemoryDeps) {
  const { db, cache, llm, prompts } = deps;
  const now = deps.now ?? Date.now;

  async function invalidate(conversationId: number, characterIds: number[]) {
    await cache.delete(stmCacheKey(conversationId), ...characterIds.map(ltmCacheKey));
  }

  function transcript(messages: Message[], ctx: ConversationMemoryContext) {
    return messages.map((m) => ({ speaker: m.role === 'user' ? '用户' : (m.characterId && ctx.speakerNames.get(m.characterId)) || ctx.characterName, text: m.content }));
  }

  async function compress(conversationId: number, ctx: ConversationMemoryContext, force: boolean, signal?: AbortSignal): Promise<number> {
    const messages = await conversations.uncompressedMessages(db, conversationId, 1000);
    const portion = planCompression(messages, ctx.budgets.session, force);
    if (!portion.length) return 0;
    const lines = transcript(portion, ctx);
    const transcriptText = lines.map((l) => `${l.speaker}：${l.text}`).join('\n');
    const text = ctx.group
      ? await prompts.render('memory.summarize_group', { members: ctx.characterName, messages: transcriptText })
      : await prompts.render('memory.summarize', { character_name: ctx.characterName, messages: transcriptText });
    const out = await llm.completeJson<{ short_memories: string[] }>(
      { purpose: 'memory', messages: [{ role: 'user', content: text }], temperature: 0, userId: ctx.userId, hints: { characterName: ctx.characterName, transcript: lines } },
      SummarySchema,
      signal,
    );
    const summary = out.short_memories.map((s) => s.trim()).filter(Boolean).join('\n') || lines.map((l) => `${l.speaker}：${l.text}`).join(' ').slice(0, 300);
    const from = portion[0].id;
    const to = portion[portion.length - 1].id;
    // The summary and the marking of its messages commit together, or not at all.
    await db.transaction().execute(async (trx) => {
      const marked = await conversations.markCompressed(trx, conversationId, from, to);
      if (marked === 0) return;
      await store.insertShortTerm(trx, { conversationId, content: summary, rangeStart: from, rangeEnd: to, now: now() });
    });
    return portion.length;
  }

  async function integrate(conversationId: number, ctx: ConversationMemoryContext, signal?: AbortSignal): Promise<{ folded: number; added: number }> {
    const stm = await store.shortTermOf(db, conversationId);
    const fold = planIntegration(stm, ctx.budgets.shortTerm);
    if (!fold.length || !ctx.characterIds.length) return { folded: 0, added: 0 };
    const existing = await store.longTermOf(db, ctx.characterIds[0]);
    const text = await prompts.render('memory.integrate', {
      character_name: ctx.characterName,
      summaries: fold.map((m) => `- ${m.content}`).join('\n'),
      existing: existing.map((m) => `- ${m.content}`).join('\n') || '（无）',
    });
    const out = await llm.completeJson<{ long_term_memories: { content: string; importance: number }[] }>(
      {
        purpose: 'memory',
        messages: [{ role: 'user', content: text }],
        temperature: 0,
        userId: ctx.userId,
        hints: { characterName: ctx.characterName, memories: fold.map((m) => m.content), existingMemories: existing.map((m) => m.content) },
      },
      IntegrationSchema,
      signal,
    );
    let added = 0;
    await db.transaction().execute(async (trx) => {
      for (const characterId of ctx.characterIds) {
        const known = new Set((await store.longTermOf(trx, characterId)).map((m) => normalise(m.content)));
        for (const fact of out.long_term_memories) {
          const key = normalise(fact.content);
          if (!key || known.has(key)) continue;
          known.add(key);
          await store.insertLongTerm(trx, { characterId, content: fact.content.trim(), importance: Math.min(1, Math.max(0, fact.importance / 15)), now: now() });
          added++;
        }
      }
      await store.deleteItems(trx, fold.map((m) => m.id));
    });
    return { folded: fold.length, added };
  }

  async function trim(ctx: ConversationMemoryContext): Promise<number> {
    let dropped = 0;
    for (const characterId of ctx.characterIds) {
      const drop = planTrim(await store.longTermOf(db, characterId), ctx.budgets.longTerm);
      await store.deleteItems(db, drop.map((m) => m.id));
      dropped += drop.length;
    }
    return dropped;
  }

  return {
    /** The job: compress, integrate, trim. Idempotent; safe to rerun after a failure. */
    async run(payload: MemoryJobPayload, signal?: AbortSignal): Promise<MemoryJobResult> {
      const ctx = await deps.contextOf(payload.conversationId);
      if (!ctx) return { compressed: 0, folded: 0, added: 0, dropped: 0 };
      // The cached snapshot is dropped only when memory changed (or may have: a failure midway),
      // so a run with nothing to do costs the next turn no queries.
      let changed = false;
      try {
        const compressed = await compress(payload.conversationId, ctx, !!payload.force, signal);
        changed = compressed > 0;
        const { folded, added } = await integrate(payload.conversationId, ctx, signal);
        changed ||= folded > 0;
        const dropped = await trim(ctx);
        changed ||= dropped > 0;
        const result = { compressed, folded, added, dropped };
        deps.onJobDone?.(result);
        return result;
      } catch (err) {
        changed = true;
        throw err;
      } finally {
        if (changed) await invalidate(payload.conversationId, ctx.characterIds);
      }
    },

    /** After a turn: at most one waiting and one running job per conversation. */
    async schedule(conversationId: number, force = false): Promise<void> {
      await deps.queue.enqueue<MemoryJobPayload>(MEMORY_JOB, { conversationId, force }, { dedupeKey: `memory:${conversationId}`, attempts: 5, backoffMs: 2000 });
    },

    /** What the prompt needs, from cache. */
    async snapshot(conversationId: number, characterIds: number[]): Promise<MemorySnapshot> {
      const [shortTerm, ...longs] = await Promise.all([
        cache.wrap(stmCacheKey(conversationId), MEMORY_TTL_S, () => store.shortTermOf(db, conversationId)),
        ...characterIds.map((id) => cache.wrap(ltmCacheKey(id), MEMORY_TTL_S, () => store.longTermOf(db, id))),
      ]);
      return { shortTerm, longTerm: longs.flat() };
    },

    async update(scope: MemoryScope, id: number, patch: { content?: string; pinned?: boolean; importance?: number }): Promise<MemoryItem | undefined> {
      const item = await store.updateItem(db, scope, id, patch, now());
      if (item) await invalidate(scope.conversationId, scope.characterIds);
      return item;
    },

    async remove(scope: MemoryScope, id: number): Promise<boolean> {
      const item = await store.deleteItem(db, scope, id);
      if (item) await invalidate(scope.conversationId, scope.characterIds);
      return !!item;
    },

    async clear(conversationId: number, characterIds: number[], includeLongTerm: boolean): Promise<void> {
      await store.clearShortTerm(db, conversationId);
      if (includeLongTerm) for (const id of characterIds) await store.clearLongTerm(db, id);
      await invalidate(conversationId, characterIds);
    },
  };
}

export type MemoryService = ReturnType<typeof createMemoryService>;

/**
 * The two steps every conversation turn shares, one-to-one or group: holding the conversation
 * for the turn, and streaming a reply into storage.
 */
import { AppError } from '../../errors.js';
import type { Db } from '../../infra/db/index.js';
import type { LlmGateway, LlmRequest, LlmUsage } from '../../infra/llm/index.js';
import type { Locks } from '../../infra/locks/locks.js';
import * as conversations from './store.js';
import type { Message } from './store.js';

/** Runs `fn` holding the conversation's lease; a second turn meanwhile is 409 `busy_conversation`. */
export async function withTurnLease<T>(locks: Locks, conversationId: number, ttlMs: number, busyMessage: string, fn: () => Promise<T>): Promise<T> {
  const release = await locks.tryAcquire(`turn:${conversationId}`, ttlMs);
  if (!release) throw new AppError('busy_conversation', busyMessage);
  try {
    return await fn();
  } finally {
    await release();
  }
}

/**
 * Streams one reply and stores it as `characterId`'s message; a broken or aborted stream stores
 * what was produced, marked `interrupted`, and rethrows.
 */
export async function streamReply(
  deps: { db: Db; llm: LlmGateway; now: () => number },
  request: LlmRequest,
  target: { conversationId: number; characterId: number },
  onToken: (text: string) => void,
  signal: AbortSignal,
): Promise<{ message: Message; usage: LlmUsage }> {
  const base = { conversationId: target.conversationId, role: 'assistant' as const, characterId: target.characterId };
  let text = '';
  try {
    const stream = deps.llm.streamChat(request, signal);
    let step = await stream.next();
    while (!step.done) {
      text += step.value;
      onToken(step.value);
      step = await stream.next();
    }
    const usage = step.value;
    const message = await conversations.insertMessage(deps.db, { ...base, content: text, tokensIn: usage.promptTokens, tokensOut: usage.completionTokens, now: deps.now() });
    return { message, usage };
  } catch (err) {
    if (text) await conversations.insertMessage(deps.db, { ...base, content: text, status: 'interrupted', now: deps.now() });
    throw err;
  }
}

/**
 * The built-in offline model: deterministic, no network, good enough to use the whole product
 * without a key. It reads `hints` (structured context from the caller) and falls back to reading
 * the prompt. It is still a provider: the gateway's limits, timeouts and JSON validation apply.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { estimateTokens, type LlmProvider, type LlmUsage, type ProviderRequest } from '../types.js';
import { biography, chatReply, greeting } from './chat.js';
import { integrate, summarize } from './memory.js';
import { chooseSpeaker } from './moderator.js';
import { shapeToSchema } from './shape.js';
import { fillSection, readSource } from './structure.js';
import { scanHead, transcriptLines } from './text.js';

/** Characters of a prompt the JSON fallbacks parse when a caller sends no hints. */
const PROMPT_SCAN_LIMIT = 100_000;

export const OFFLINE_MODEL = 'offline';

export function createOfflineProvider(options: { chunkDelayMs: number }): LlmProvider {
  return {
    name: 'offline',
    fixedModel: OFFLINE_MODEL,
    async streamChat(req: ProviderRequest, signal: AbortSignal, onText: (text: string) => void): Promise<LlmUsage> {
      signal.throwIfAborted();
      const text = answer(req);
      // JSON is not read by a person as it streams: bigger chunks, same pacing.
      for (const chunk of chunks(text, req.json ? 48 : 3)) {
        if (options.chunkDelayMs > 0) await sleep(options.chunkDelayMs, undefined, { signal });
        signal.throwIfAborted();
        onText(chunk);
      }
      return { promptTokens: estimateTokens(req.messages.map((m) => m.content).join('\n')), completionTokens: estimateTokens(text) };
    },
    async close() {},
  };
}

function* chunks(text: string, size: number): Generator<string> {
  const chars = [...text];
  for (let i = 0; i < chars.length; i += size) yield chars.slice(i, i + size).join('');
}

/** What the offline model says: JSON shaped like the requested schema, or text for the purpose. */
export function answer(req: ProviderRequest): string {
  const hints = req.hints;
  if (req.json) return JSON.stringify(shapeToSchema(req.json.schema, candidate(req), (path) => filler(req, path)));
  switch (req.purpose) {
    case 'structure':
      if (hints?.writing === 'greeting') return greeting(hints);
      return hints?.sectionKey ? JSON.stringify(candidate(req)) : biography(hints);
    case 'memory':
      return summarize(transcriptOf(req), 5, hints?.characterName).map((m) => `- ${m}`).join('\n');
    case 'moderator':
      return JSON.stringify(candidate(req));
    default:
      return chatReply(req.messages, hints);
  }
}

/** The natural answer for the purpose, under the key names features are likely to use. */
function candidate(req: ProviderRequest): Record<string, unknown> {
  const hints = req.hints;
  switch (req.purpose) {
    case 'structure': {
      const props = (req.json?.schema as { properties?: Record<string, { type?: string }> } | undefined)?.properties ?? {};
      const fields = Object.entries(props).map(([label, s]) => ({ label, list: s.type === 'array' }));
      const src = readSource(hints?.sourceMarkdown ?? lastUser(req), hints?.characterName ?? '');
      if (!fields.length) return { biography: biography(hints), text: biography(hints) };
      return fillSection(fields, src);
    }
    case 'memory': {
      if (isIntegration(req)) {
        const { facts, merged, discarded } = integrate(hints?.memories ?? listUnder(lastUser(req), /^\s*【[^】]*(待整合|短期)/), hints?.existingMemories ?? listUnder(lastUser(req), /^\s*【[^】]*(已有|现有)/));
        const contents = facts.map((f) => f.content);
        return { long_term_memories: facts, memories: facts, facts, items: contents, merged_count: merged, discarded_count: discarded };
      }
      const items = summarize(transcriptOf(req), 5, hints?.characterName);
      return { short_memories: items, memories: items, summaries: items, items, facts: items, summary: items.join('；') };
    }
    case 'moderator': {
      const c = chooseSpeaker({ ...hints, transcript: hints?.transcript ?? transcriptLines(lastUser(req)) });
      const id = c.member?.id;
      const name = c.member?.name ?? '';
      return { next_speaker: name, nextSpeaker: name, speaker: name, name, speaker_id: id, speakerId: id, member_id: id, memberId: id, id, reason: c.reason, confidence: c.confidence };
    }
    case 'evaluation':
      return { score: 0.8, passed: true, pass: true, reason: '离线模型无法真正评判，按通过处理', comment: '离线模型的默认评分' };
    default:
      return { reply: chatReply(req.messages, hints), text: chatReply(req.messages, hints) };
  }
}

/** Text for a string the candidate has no value for: a short sentence naming the field. */
function filler(req: ProviderRequest, path: string): string {
  const field = path.replace(/\[\d+\]/g, '').split('.').pop() || '内容';
  return req.purpose === 'chat' ? chatReply(req.messages, req.hints) : `${req.hints?.characterName ?? ''}${field}：资料未载明`.replace(/^：/, '');
}

function isIntegration(req: ProviderRequest): boolean {
  const props = Object.keys((req.json?.schema as { properties?: object } | undefined)?.properties ?? {});
  return req.hints?.memories !== undefined || req.hints?.existingMemories !== undefined || props.some((p) => /long/i.test(p));
}

/** The last user message, read up to a bound: prompt parsing is a fallback, never a hot loop. */
function lastUser(req: ProviderRequest): string {
  return scanHead([...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '', PROMPT_SCAN_LIMIT);
}

function transcriptOf(req: ProviderRequest): { speaker: string; text: string }[] {
  return req.hints?.transcript ?? transcriptLines(lastUser(req));
}

/** `- item` lines under the first heading line matching `heading` (prompt fallback when no hints). */
function listUnder(text: string, heading: RegExp): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => heading.test(l) && !/^\s*-/.test(l));
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^\s*-\s+(.+)$/.exec(line);
    if (m) out.push(m[1].trim());
    else if (line.trim() && out.length) break;
    else if (line.trim() && !/^\s*-/.test(line) && /[【#]/.test(line)) break;
  }
  return out.filter((s) => s !== '（无）');
}

/**
 * OpenAI's Chat Completions wire format (https://platform.openai.com/docs/api-reference/chat):
 * the completion object, streamed chunks, and the error shape. Pure functions over our results.
 */
import { randomBytes } from 'node:crypto';
import type { AppError } from '../../errors.js';
import type { TurnFrames } from '../../http/sse.js';
import type { CompletionResult } from './service.js';
import { speakerPrefix } from './service.js';

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

export const newMeta = (model: string): CompletionMeta => ({ id: `chatcmpl-${randomBytes(12).toString('base64url')}`, created: Math.floor(Date.now() / 1000), model });

const usageOf = (r: CompletionResult) => ({ prompt_tokens: r.usage.promptTokens, completion_tokens: r.usage.completionTokens, total_tokens: r.usage.promptTokens + r.usage.completionTokens });

/** The non-streamed answer. */
export function completionBody(meta: CompletionMeta, r: CompletionResult) {
  return {
    id: meta.id,
    object: 'chat.completion' as const,
    created: meta.created,
    model: r.model,
    system_fingerprint: null,
    choices: [{ index: 0, message: { role: 'assistant' as const, content: r.content, refusal: null }, logprobs: null, finish_reason: r.finishReason }],
    usage: usageOf(r),
    fastnpc: r.fastnpc,
  };
}

const data = (json: unknown) => `data: ${JSON.stringify(json)}\n\n`;

/**
 * A streamed answer's chunks: `choices[0].delta` (the role once, then content), a group member's
 * turn opening with `Name: ` and `fastnpc.speaker`, a last chunk with `finish_reason`, a usage chunk
 * when asked (`stream_options.include_usage`), then `data: [DONE]`.
 */
export function chunkFrames(meta: CompletionMeta, includeUsage: boolean): TurnFrames & { last(r: CompletionResult): string; error(err: AppError): string } {
  let roleSent = false;
  let spoke = false;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null, extra: Record<string, unknown> = {}) =>
    data({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
      ...extra,
    });
  const content = (text: string, extra?: Record<string, unknown>) => {
    const delta = roleSent ? { content: text } : { role: 'assistant', content: text };
    roleSent = true;
    return chunk(delta, null, extra);
  };
  // The hot path (one per coalesced token run): the chunk around the text is built once.
  const [head, tail] = chunk({ content: '\u0000' }, null).split('"\\u0000"');
  return {
    token: (text) => (roleSent ? head + JSON.stringify(text) + tail : content(text)),
    speaker(d) {
      const text = (spoke ? '\n\n' : '') + speakerPrefix(d.name);
      spoke = true;
      return content(text, { fastnpc: { speaker: d } });
    },
    messageDone: () => '',
    last(r) {
      const opening = roleSent ? '' : content('');
      const usage = includeUsage ? data({ id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, system_fingerprint: null, choices: [], usage: usageOf(r) }) : '';
      return opening + chunk({}, r.finishReason, { fastnpc: r.fastnpc }) + usage + 'data: [DONE]\n\n';
    },
    // The official SDKs raise an APIError for a data event that carries `error`.
    error: (err) => data(errorBody(err)),
  };
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** Our codes in OpenAI's words where OpenAI has one (clients branch on these). */
const CODE_BY_OURS: Record<string, string> = {
  unauthorized: 'invalid_api_key',
  'not_found:model': 'model_not_found',
  rate_limited: 'rate_limit_exceeded',
};

/** `{error: {message, type, param, code}}`; 5xx messages were already made safe by toAppError. */
export function errorBody(err: AppError) {
  const details = err.details ?? {};
  const param = typeof details.param === 'string' ? details.param : typeof details.field === 'string' ? details.field : null;
  const message = err.status >= 500 && err.kind === 'internal' ? 'Internal server error' : err.message;
  return { error: { message, type: TYPE_BY_STATUS[err.status] ?? (err.status === 503 ? 'service_unavailable' : 'server_error'), param, code: CODE_BY_OURS[err.code] ?? err.code } };
}

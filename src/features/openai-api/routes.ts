/**
 * The OpenAI-compatible endpoint under /v1, for chat apps and the official SDKs. Authentication is
 * an API key (`Authorization: Bearer fnpc_…`) and only that: the session cookie is never read
 * here, and keys are never read on the cookie routes. Errors use OpenAI's shape. CORS is open
 * (`*`, no credentials): a bearer key is not ambient authority, so browser apps may call directly.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import { toAppError } from '../../http/errors.js';
import { enforceRateLimit } from '../../http/rate-limit.js';
import { answerSink, streamedSink, type TurnStreaming } from '../../http/sse.js';
import type { RateLimiter } from '../../infra/rate-limit/rate-limiter.js';
import type { TurnSink } from '../conversations/engine.js';
import type { ApiCaller, ApiKeysService } from '../api-keys/service.js';
import { modelId, type InputMessage, type OpenAiService } from './service.js';
import type { ModelRow } from './store.js';
import { chunkFrames, completionBody, errorBody, newMeta } from './wire.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiCaller: ApiCaller | null;
  }
}

export interface OpenAiRouteDeps {
  openai: OpenAiService;
  apiKeys: ApiKeysService;
  limiter: RateLimiter;
  /** Default requests a minute per key (a key may set its own). */
  apiRatePerMin: number;
  /** Turns a minute per user, as on the web routes. */
  chatRatePerMin: number;
  streaming: TurnStreaming;
}

const OpenAiError = Type.Object(
  { error: Type.Object({ message: Type.String(), type: Type.String(), param: Type.Union([Type.String(), Type.Null()]), code: Type.Union([Type.String(), Type.Null()]) }) },
  { $id: 'OpenAiError', description: 'OpenAI\'s error shape' },
);
const oaErrors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, Type.Ref('OpenAiError')]));

const ModelSchema = Type.Object({
  id: Type.String({ description: '`character/<id>` or `group/<id>`' }),
  object: Type.Literal('model'),
  created: Type.Integer(),
  owned_by: Type.String(),
  name: Type.String({ description: 'The readable alias, also accepted as `model` when unambiguous' }),
  fastnpc: Type.Object({ kind: Type.String(), id: Type.Integer() }),
});

const TextPart = Type.Object({ type: Type.String({ maxLength: 40 }), text: Type.Optional(Type.String({ maxLength: 200_000 })) });
const InputMessageSchema = Type.Object({
  role: Type.Union([Type.Literal('system'), Type.Literal('developer'), Type.Literal('user'), Type.Literal('assistant'), Type.Literal('tool'), Type.Literal('function')]),
  content: Type.Union([Type.String({ maxLength: 200_000 }), Type.Array(TextPart, { maxItems: 200 }), Type.Null()]),
  name: Type.Optional(Type.String({ maxLength: 200 })),
});
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
const CompletionBody = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 200, description: '`character/<id>`, `group/<id>`, or a character\'s or group\'s name' }),
    messages: Type.Array(InputMessageSchema, { minItems: 1, maxItems: 2000 }),
    stream: Nullable(Type.Boolean()),
    stream_options: Nullable(Type.Object({ include_usage: Type.Optional(Type.Boolean()) })),
    max_tokens: Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    max_completion_tokens: Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    temperature: Nullable(Type.Number({ minimum: 0, maximum: 2 })),
    stop: Nullable(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 4 })])),
    n: Nullable(Type.Integer({ minimum: 1, maximum: 1, description: 'Only 1' })),
    user: Type.Optional(Type.String({ maxLength: 256 })),
    fastnpc: Type.Optional(Type.Object({ stateless: Type.Optional(Type.Boolean()) }, { description: 'FastNPC extension: `stateless: true` stores nothing (also header `X-FastNPC-Stateless: 1`)' })),
  },
  // Apps send many sampling options we do not use (top_p, presence_penalty…): accepted and ignored.
  { additionalProperties: true },
);
const CompletionSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('chat.completion'),
  created: Type.Integer(),
  model: Type.String(),
  system_fingerprint: Type.Null(),
  choices: Type.Array(Type.Object({ index: Type.Integer(), message: Type.Object({ role: Type.Literal('assistant'), content: Type.String(), refusal: Type.Null() }), logprobs: Type.Null(), finish_reason: Type.String() })),
  usage: Type.Object({ prompt_tokens: Type.Integer(), completion_tokens: Type.Integer(), total_tokens: Type.Integer() }),
  fastnpc: Type.Object({}, { additionalProperties: true, description: 'FastNPC extension: the stored conversation and message ids; for a group, each member\'s reply' }),
});

const textOf = (content: string | { type: string; text?: string }[] | null): string =>
  typeof content === 'string' ? content : (content ?? []).filter((p) => p.type === 'text' && typeof p.text === 'string').map((p) => p.text).join('\n');

function modelView(m: ModelRow, owner: string) {
  return { id: modelId(m), object: 'model' as const, created: Math.floor(m.createdAt / 1000), owned_by: owner, name: m.name, fastnpc: { kind: m.kind, id: m.id } };
}

export function registerOpenAiRoutes(root: FastifyInstance, deps: OpenAiRouteDeps): void {
  root.addSchema(OpenAiError);
  void root.register(
    async (plugin) => {
      const v1 = plugin.withTypeProvider<TypeBoxTypeProvider>();
      v1.decorateRequest('apiCaller', null);
      v1.setErrorHandler((err, request, reply) => {
        const e = toAppError(err);
        if (e.status >= 500) request.log.error({ err, code: e.code }, 'request failed');
        if (reply.raw.headersSent) {
          reply.raw.destroy();
          return;
        }
        if (e.retryAfter !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(e.retryAfter))));
        return reply.code(e.status).send(errorBody(e));
      });
      v1.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(new AppError('not_found:route', `No route ${request.method} ${request.url.split('?')[0]}`))));
      v1.addHook('onRequest', async (request, reply) => {
        reply.header('access-control-allow-origin', '*');
        reply.header('cache-control', 'no-store');
        if (request.method === 'OPTIONS') return;
        const auth = request.headers.authorization ?? '';
        const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
        const caller = token ? await deps.apiKeys.resolve(token) : undefined;
        if (!caller) throw new AppError('unauthorized', token ? 'Invalid, expired or revoked API key' : 'Send an API key: Authorization: Bearer fnpc_… (create one in Settings → API keys)');
        await enforceRateLimit(deps.limiter, `api:${caller.key.id}`, caller.key.ratePerMin ?? deps.apiRatePerMin, 'requests with this API key');
        request.apiCaller = caller;
      });
      const callerOf = (request: FastifyRequest): ApiCaller => {
        if (!request.apiCaller) throw new AppError('unauthorized', 'Send an API key');
        return request.apiCaller;
      };
      const tags = ['openai-compatible'];
      const security = [{ apiKey: [] }];

      v1.options('/*', { schema: { hide: true } }, async (_request, reply) =>
        reply.header('access-control-allow-methods', 'GET, POST, OPTIONS').header('access-control-allow-headers', 'authorization, content-type, x-fastnpc-chat, x-fastnpc-stateless, x-stainless-*').header('access-control-max-age', '600').code(204).send(),
      );

      v1.get(
        '/models',
        { schema: { tags, security, summary: 'Your characters and groups as models (within the key\'s scope)', response: { 200: Type.Object({ object: Type.Literal('list'), data: Type.Array(ModelSchema) }), ...oaErrors(401, 403, 429) } } },
        async (request) => {
          const caller = callerOf(request);
          return { object: 'list' as const, data: (await deps.openai.models(caller)).map((m) => modelView(m, caller.username)) };
        },
      );

      v1.get(
        '/models/:model',
        { schema: { tags, security, summary: 'One model (`character/<id>`, `group/<id>` or a name)', params: Type.Object({ model: Type.String({ minLength: 1, maxLength: 200 }) }), response: { 200: ModelSchema, ...oaErrors(400, 401, 403, 404, 429) } } },
        async (request) => {
          const caller = callerOf(request);
          return modelView(await deps.openai.resolveModel(caller, request.params.model), caller.username);
        },
      );

      v1.post(
        '/chat/completions',
        {
          schema: {
            tags,
            security,
            summary: 'A reply from a character (or one round of a group), in OpenAI\'s format',
            description:
              'Streams with `stream: true` (`data:` chunks, a last chunk with `finish_reason`, a usage chunk with `stream_options.include_usage`, `data: [DONE]`). ' +
              'Stateful by default: the server keeps the chat and appends only the messages it does not have yet (resending the whole history is fine). ' +
              '`fastnpc: {stateless: true}` or `X-FastNPC-Stateless: 1`: your messages are the history and nothing is stored. `X-FastNPC-Chat: <id>` names the chat. ' +
              'System messages are not sent: the character\'s own prompt is the system prompt.',
            body: CompletionBody,
            headers: Type.Object({ 'x-fastnpc-chat': Type.Optional(Type.Integer({ minimum: 1 })), 'x-fastnpc-stateless': Type.Optional(Type.String({ maxLength: 10 })) }),
            response: { 200: CompletionSchema, ...oaErrors(400, 401, 403, 404, 409, 429, 502, 503, 504) },
          },
        },
        async (request, reply) => {
          const startedAt = performance.now() - reply.elapsedTime;
          const caller = callerOf(request);
          const body = request.body;
          const model = await deps.openai.resolveModel(caller, body.model);
          await enforceRateLimit(deps.limiter, `chat:${caller.userId}`, deps.chatRatePerMin, 'messages');
          const statelessHeader = request.headers['x-fastnpc-stateless'];
          const req = {
            model: body.model,
            messages: body.messages.map((m): InputMessage => ({ role: m.role === 'tool' || m.role === 'function' ? 'system' : m.role, content: textOf(m.content) })),
            temperature: body.temperature ?? undefined,
            maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
            stop: typeof body.stop === 'string' ? [body.stop] : (body.stop ?? undefined),
            user: body.user,
            stateless: body.fastnpc?.stateless ?? (statelessHeader === '1' || statelessHeader === 'true'),
            chatId: request.headers['x-fastnpc-chat'] as number | undefined,
          };
          return serveCompletion(request, reply, deps, body.stream === true, body.stream_options?.include_usage === true, (sink) => deps.openai.complete(caller, model, req, sink, startedAt), modelId(model));
        },
      );
    },
    { prefix: '/v1' },
  );
}

/** Runs the completion as JSON or as OpenAI chunks; closing the connection aborts the turn (and the upstream call). */
async function serveCompletion(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: OpenAiRouteDeps,
  stream: boolean,
  includeUsage: boolean,
  run: (sink: TurnSink) => ReturnType<OpenAiService['complete']>,
  model: string,
) {
  const abort = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) abort.abort(new Error('client disconnected'));
  };
  reply.raw.on('close', onClose);
  const meta = newMeta(model);
  try {
    if (!stream) return completionBody(meta, await run(answerSink(deps.streaming, abort.signal)));
    const frames = chunkFrames(meta, includeUsage);
    const streamed = streamedSink(request, reply, deps.streaming, abort, frames);
    try {
      streamed.end(frames.last(await run(streamed.sink)));
    } catch (err) {
      if (!streamed.opened) throw err;
      streamed.end(frames.error(toAppError(err)));
    }
    return reply;
  } finally {
    reply.raw.off('close', onClose);
  }
}

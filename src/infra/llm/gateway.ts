/**
 * The LLM gateway: wraps any provider with admission control (concurrency + bounded queue), a
 * circuit breaker per model, retries before the first token, timeouts, JSON mode, a response cache
 * and metrics. Providers stay pure transport (STYLE.md §6); callers only see `LlmGateway`.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TSchema } from '@sinclair/typebox';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Cache } from '../cache/cache.js';
import { LATENCY_BUCKETS, type Metrics } from '../metrics.js';
import { BrokenCircuitError, CircuitBreaker, NotCounted, type BreakerState } from './breaker.js';
import { jsonInstruction, parseJsonLoose, schemaName, validateJson } from './json.js';
import { AdmissionRefused, Limiter } from './limiter.js';
import { stopCutter } from './stop.js';
import {
  ProviderError,
  type ChatMessage,
  type LlmGateway,
  type LlmProvider,
  type LlmPurpose,
  type LlmRequest,
  type LlmRoute,
  type LlmRouter,
  type LlmSlot,
  type LlmUsage,
  type ProviderRequest,
} from './types.js';

export interface GatewayDeps {
  cache: Cache;
  metrics: Metrics;
  logger?: { warn(o: object, m?: string): void };
  /** Called after every successful call that names a `userId` (store it for the admin view). */
  onUsage?: (u: { userId: number; purpose: LlmPurpose; model: string; usage: LlmUsage }) => void;
  /** Base of the exponential backoff between retries; default 250 ms. */
  retryBaseMs?: number;
  /** Upper bound of one backoff wait, including a server's Retry-After; default 30 s. */
  retryMaxMs?: number;
}

type Outcome = 'ok' | 'cache_hit' | 'busy' | 'unavailable' | 'timeout' | 'error' | 'aborted';
type TimeoutKind = 'first_token' | 'idle' | 'total';

/** The abort reason the gateway's own timers use, so a timeout is told apart from a caller abort. */
class TimeoutReason extends Error {
  constructor(readonly kind: TimeoutKind, ms: number) {
    super(`LLM ${kind.replace('_', ' ')} timeout after ${ms} ms`);
  }
}

const BREAKER_GAUGE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export class Gateway implements LlmGateway {
  private readonly limiter: Limiter;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly m: ReturnType<typeof gatewayMetrics>;

  constructor(
    private readonly router: LlmRouter,
    private readonly config: Config,
    private readonly deps: GatewayDeps,
  ) {
    this.limiter = new Limiter({ concurrency: config.llmConcurrency, queueMax: config.llmQueueMax, queueWaitMs: config.llmQueueWaitMs });
    this.m = gatewayMetrics(deps.metrics);
  }

  /** Read each time: an admin may connect a provider while the process runs. */
  get provider(): LlmProvider['name'] {
    return this.router.providerName;
  }

  models(): string[] {
    return this.router.models();
  }

  async admit(req: Pick<LlmRequest, 'purpose' | 'model'>, signal?: AbortSignal): Promise<LlmSlot> {
    const model = this.resolveModel(req as LlmRequest);
    const labels = { provider: this.provider, model, purpose: req.purpose };
    // A model that is no longer served is refused here, before the turn stores anything.
    const route = await this.router.route(model, { purpose: req.purpose });
    const breaker = this.breakerFor(model);
    if (breaker.refusalMs() > 0) {
      this.m.requests.inc({ ...labels, outcome: 'unavailable' });
      throw this.naming(this.unavailable(req.purpose, breaker), route, req.purpose);
    }
    let release: () => void;
    try {
      release = await this.limiter.acquire(signal);
    } catch (err) {
      const mapped = this.toAppError(err, signal, model);
      this.m.requests.inc({ ...labels, outcome: outcomeOf(mapped, signal) });
      throw mapped;
    } finally {
      this.m.queued.set(this.limiter.queued);
    }
    this.m.inFlight.inc();
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        release();
        this.m.inFlight.dec();
      },
    };
  }

  async stream(req: LlmRequest, onText: (text: string) => void, signal?: AbortSignal): Promise<LlmUsage> {
    if (!req.stop?.length) return this.call(req, req.messages, undefined, signal, onText);
    const cut = stopCutter(req.stop, onText);
    const usage = await this.call(req, req.messages, undefined, signal, (text) => cut.push(text));
    cut.end();
    return usage;
  }

  async *streamChat(req: LlmRequest, signal?: AbortSignal): AsyncGenerator<string, LlmUsage, void> {
    // A consumer that stops reading aborts the call, as a caller's abort would.
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort(signal!.reason);
    if (signal?.aborted) ctrl.abort(signal.reason);
    else signal?.addEventListener('abort', onAbort, { once: true });
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    const done = this.stream(req, (text) => {
      queue.push(text);
      wake?.();
    }, ctrl.signal).finally(() => {
      finished = true;
      wake?.();
    });
    done.catch(() => {}); // awaited below; this only keeps an early stop from leaving it unhandled
    try {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (finished) return await done;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!finished) {
        ctrl.abort(new DOMException('The consumer stopped reading', 'AbortError'));
        await done.catch(() => {});
      }
    }
  }

  async completeText(req: LlmRequest, signal?: AbortSignal): Promise<{ text: string; usage: LlmUsage }> {
    return this.cached(req, undefined, () => this.collect(req, req.messages, undefined, signal));
  }

  private async collect(req: LlmRequest, messages: ChatMessage[], json: ProviderRequest['json'], signal?: AbortSignal): Promise<{ text: string; usage: LlmUsage }> {
    let text = '';
    const usage = await this.call(req, messages, json, signal, (t) => {
      text += t;
    });
    return { text, usage };
  }

  async completeJson<T>(req: LlmRequest, schema: TSchema, signal?: AbortSignal): Promise<T> {
    return this.cached(req, schema, async () => {
      const json = { name: schemaName(schema, `${req.purpose}_answer`), schema };
      const instruction = jsonInstruction(schema);
      const messages = appendToLastUser(req.messages, instruction);
      const labels = { provider: this.provider, model: this.resolveModel(req), purpose: req.purpose };

      const first = await this.collect(req, messages, json, signal);
      req.onAnswerText?.(first.text);
      const parsed = parseJsonLoose(first.text);
      let checked = parsed.ok ? validateJson<T>(schema, parsed.value) : parsed;
      if (checked.ok) {
        this.m.json.inc({ ...labels, result: startsAsJson(first.text) ? 'valid' : 'repaired' });
        return checked.value;
      }
      // One re-ask that quotes the problem; a second bad answer is an error, never a silent `{}`.
      const reask: ChatMessage[] = [...messages, { role: 'assistant', content: first.text }, { role: 'user', content: `${checked.error}\n${instruction}` }];
      const second = await this.collect(req, reask, json, signal);
      req.onAnswerText?.(second.text);
      const parsed2 = parseJsonLoose(second.text);
      checked = parsed2.ok ? validateJson<T>(schema, parsed2.value) : parsed2;
      if (checked.ok) {
        this.m.json.inc({ ...labels, result: 'reasked' });
        return checked.value;
      }
      this.m.json.inc({ ...labels, result: 'bad_output' });
      throw new AppError(`llm_bad_output:${req.purpose}`, 'The model did not return the expected JSON', { details: { problem: checked.error } });
    });
  }

  async close(): Promise<void> {
    await this.router.close();
  }

  private resolveModel(req: Pick<LlmRequest, 'purpose' | 'model'>): string {
    return this.router.keyFor(req.purpose, req.model);
  }

  /**
   * A failure of a chosen provider names it and suggests the default model; the gateway never
   * switches model by itself (the user decides).
   */
  private naming(err: unknown, route: LlmRoute | undefined, purpose: LlmPurpose): unknown {
    if (!route || !(err instanceof AppError) || !['llm_error', 'llm_timeout', 'llm_unavailable'].includes(err.kind)) return err;
    const fallback = this.router.keyFor(purpose);
    const suggestion = fallback !== route.key ? ` Choose another model, or the default (${fallback}).` : '';
    return new AppError(err.code, `The model provider "${route.provider.name}" failed: ${err.message}.${suggestion}`, {
      cause: err.cause,
      retryAfter: err.retryAfter,
      details: { ...err.details, model: route.key, provider: route.provider.name, ...(suggestion ? { defaultModel: fallback } : {}) },
    });
  }

  private breakerFor(model: string): CircuitBreaker {
    let b = this.breakers.get(model);
    if (!b) {
      const labels = { provider: this.provider, model };
      b = new CircuitBreaker({
        failureRate: this.config.llmBreakerFailurePercent / 100,
        windowMs: this.config.llmBreakerWindowMs,
        minCalls: this.config.llmBreakerMinCalls,
        cooldownMs: this.config.llmBreakerCooldownMs,
        onState: (s) => {
          this.m.breaker.set(labels, BREAKER_GAUGE[s]);
          if (s === 'open') this.deps.logger?.warn({ ...labels }, 'LLM circuit breaker opened');
        },
      });
      this.m.breaker.set(labels, 0);
      this.breakers.set(model, b);
    }
    return b;
  }

  /** Temperature-0 answers are reproducible, so they are served from the cache when seen before. */
  private async cached<R>(req: LlmRequest, schema: TSchema | undefined, run: () => Promise<R>): Promise<R> {
    const ttl = this.config.llmCacheTtlS;
    if (req.temperature !== 0 || ttl <= 0) return run();
    const model = this.resolveModel(req);
    const key =
      'llm:' +
      createHash('sha256')
        .update(JSON.stringify([this.provider, model, req.messages, req.temperature, req.maxTokens ?? null, schema ?? null, req.hints ?? null]))
        .digest('base64url');
    const hit = await this.deps.cache.get<R>(key);
    if (hit !== undefined) {
      this.m.requests.inc({ provider: this.provider, model, purpose: req.purpose, outcome: 'cache_hit' });
      return hit;
    }
    const value = await run();
    await this.deps.cache.set(key, value, ttl);
    return value;
  }

  /** One call: admission, then attempts until success, a non-retryable failure or the retry budget. */
  private async call(req: LlmRequest, messages: ChatMessage[], json: ProviderRequest['json'], signal: AbortSignal | undefined, onText: (text: string) => void): Promise<LlmUsage> {
    const model = this.resolveModel(req);
    const labels = { provider: this.provider, model, purpose: req.purpose };
    const started = performance.now();
    let outcome: Outcome = 'error';
    let release: (() => void) | undefined;
    const callCtrl = new AbortController();
    const onCallerAbort = () => callCtrl.abort(signal!.reason);
    let totalTimer: NodeJS.Timeout | undefined;
    let route: LlmRoute | undefined;
    try {
      route = await this.router.route(model, { purpose: req.purpose, userId: req.userId });
      if (!req.slot) {
        try {
          release = await this.limiter.acquire(signal);
        } finally {
          this.m.queued.set(this.limiter.queued);
        }
        this.m.queueWait.observe((performance.now() - started) / 1000);
        this.m.inFlight.inc();
      }
      if (signal) signal.addEventListener('abort', onCallerAbort, { once: true });
      const totalMs = this.config.llmTotalTimeoutMs;
      totalTimer = setTimeout(() => callCtrl.abort(new TimeoutReason('total', totalMs)), totalMs);

      const preq: ProviderRequest = { purpose: req.purpose, model: route.model, messages, temperature: req.temperature, maxTokens: req.maxTokens, stop: req.stop, json, hints: req.hints, capabilities: route.capabilities, paceMs: req.paceMs };
      const usage = await this.attempts(preq, route, labels, callCtrl.signal, started, onText);
      outcome = 'ok';
      this.m.tokens.inc({ ...labels, direction: 'in' }, usage.promptTokens);
      this.m.tokens.inc({ ...labels, direction: 'out' }, usage.completionTokens);
      if (req.userId !== undefined) this.deps.onUsage?.({ userId: req.userId, purpose: req.purpose, model, usage });
      return usage;
    } catch (err) {
      const mapped = this.toAppError(err, signal, model);
      outcome = outcomeOf(mapped, signal);
      throw this.naming(mapped, route, req.purpose);
    } finally {
      clearTimeout(totalTimer);
      signal?.removeEventListener('abort', onCallerAbort);
      if (release) {
        release();
        this.m.inFlight.dec();
      }
      this.m.requests.inc({ ...labels, outcome });
      this.m.duration.observe(labels, (performance.now() - started) / 1000);
    }
  }

  private async attempts(
    preq: ProviderRequest,
    route: LlmRoute,
    labels: { provider: string; model: string; purpose: string },
    callSignal: AbortSignal,
    started: number,
    onText: (text: string) => void,
  ): Promise<LlmUsage> {
    const breaker = this.breakerFor(route.key);
    const { llmFirstTokenTimeoutMs: firstMs, llmIdleTimeoutMs: idleMs, llmMaxRetries: maxRetries } = this.config;
    for (let attempt = 0; ; attempt++) {
      const ctrl = new AbortController();
      const onCallAbort = () => ctrl.abort(callSignal.reason);
      if (callSignal.aborted) ctrl.abort(callSignal.reason);
      else callSignal.addEventListener('abort', onCallAbort, { once: true });
      let timer = setTimeout(() => ctrl.abort(new TimeoutReason('first_token', firstMs)), firstMs);
      let spoke = false;
      let upstream: Promise<LlmUsage> | undefined;
      const callerLeft = () => ctrl.signal.aborted && !(ctrl.signal.reason instanceof TimeoutReason);
      try {
        // The breaker sees each attempt up to its first token (or its end, for an empty answer).
        await breaker.execute(
          () =>
            new Promise<void>((firstToken, failedEarly) => {
              upstream = route.transport.streamChat(preq, ctrl.signal, (text) => {
                if (spoke) {
                  timer.refresh();
                } else {
                  spoke = true;
                  this.m.ttft.observe(labels, (performance.now() - started) / 1000);
                  clearTimeout(timer);
                  timer = setTimeout(() => ctrl.abort(new TimeoutReason('idle', idleMs)), idleMs);
                  firstToken();
                }
                onText(text);
              });
              upstream.then(
                () => firstToken(),
                (err) => failedEarly(callerLeft() ? new NotCounted(err) : err),
              );
            }),
        );
        const usage = await upstream!;
        // A transport that swallows the abort and just ends must not pass for a complete answer.
        ctrl.signal.throwIfAborted();
        return usage;
      } catch (caught) {
        if (caught instanceof BrokenCircuitError) throw this.unavailable(preq.purpose, breaker);
        const err = caught instanceof NotCounted ? caught.inner : caught;
        const reason = ctrl.signal.aborted ? ctrl.signal.reason : undefined;
        if (reason !== undefined) throw reason; // the caller left, or one of our timeouts
        const retryable = err instanceof ProviderError && err.info.retryable;
        // Never retry once text has reached the caller: it would be said twice.
        if (!retryable || spoke || attempt >= maxRetries) throw err;
        this.m.retries.inc({ provider: labels.provider, model: labels.model });
        const wait = this.backoffMs(attempt, (err as ProviderError).info.retryAfterMs);
        this.deps.logger?.warn({ ...labels, attempt: attempt + 1, waitMs: Math.round(wait), error: (err as Error).message }, 'LLM call failed; retrying');
        await sleep(wait, undefined, { signal: callSignal }).catch(() => {
          throw callSignal.reason;
        });
      } finally {
        clearTimeout(timer);
        callSignal.removeEventListener('abort', onCallAbort);
      }
    }
  }

  private unavailable(purpose: LlmPurpose, breaker: CircuitBreaker): AppError {
    return new AppError(`llm_unavailable:${purpose}`, 'The language model is unavailable; try again shortly', {
      retryAfter: Math.max(1, Math.ceil(breaker.refusalMs() / 1000)),
    });
  }

  /** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"); a server's Retry-After wins. */
  private backoffMs(attempt: number, retryAfterMs: number | undefined): number {
    const max = this.deps.retryMaxMs ?? 30_000;
    if (retryAfterMs !== undefined) return Math.min(max, retryAfterMs);
    return Math.random() * Math.min(max, (this.deps.retryBaseMs ?? 250) * 2 ** attempt);
  }

  private toAppError(err: unknown, signal: AbortSignal | undefined, model: string): unknown {
    if (err instanceof AppError) return err;
    if (signal?.aborted && err === signal.reason) return err;
    if (err instanceof AdmissionRefused) {
      return new AppError('llm_busy', 'Too many language-model requests; try again shortly', {
        retryAfter: Math.max(1, Math.ceil(this.config.llmQueueWaitMs / 1000)),
      });
    }
    if (err instanceof TimeoutReason) return new AppError(`llm_timeout:${err.kind}`, err.message);
    if (err instanceof ProviderError) {
      return new AppError('llm_error', `The language model failed (${err.message})`, {
        cause: err,
        details: { model, ...(err.info.status ? { upstreamStatus: err.info.status } : {}) },
        ...(err.info.retryAfterMs !== undefined ? { retryAfter: Math.max(1, Math.ceil(err.info.retryAfterMs / 1000)) } : {}),
      });
    }
    return new AppError('llm_error', 'The language model failed', { cause: err, details: { model } });
  }
}

function gatewayMetrics(mx: Metrics) {
  const base = ['provider', 'model', 'purpose'] as const;
  return {
    requests: mx.counter('fastnpc_llm_requests_total', 'LLM calls by outcome', [...base, 'outcome']),
    ttft: mx.histogram('fastnpc_llm_ttft_seconds', 'Time from the call to the first token, queue wait included', base, LATENCY_BUCKETS),
    duration: mx.histogram('fastnpc_llm_duration_seconds', 'Whole LLM call, queue wait included', base, LATENCY_BUCKETS),
    tokens: mx.counter('fastnpc_llm_tokens_total', 'Tokens by direction (in = prompt, out = completion)', [...base, 'direction']),
    queueWait: mx.histogram('fastnpc_llm_queue_wait_seconds', 'Wait for a concurrency slot', [], LATENCY_BUCKETS),
    inFlight: mx.gauge('fastnpc_llm_in_flight', 'LLM calls holding a slot'),
    queued: mx.gauge('fastnpc_llm_queued', 'LLM calls waiting for a slot'),
    retries: mx.counter('fastnpc_llm_retries_total', 'Attempts repeated after a retryable failure', ['provider', 'model']),
    breaker: mx.gauge('fastnpc_llm_breaker_state', 'Circuit breaker: 0 closed, 1 half-open, 2 open', ['provider', 'model']),
    json: mx.counter('fastnpc_llm_json_total', 'JSON answers: valid, repaired (outer object), reasked, bad_output', [...base, 'result']),
  };
}

function outcomeOf(err: unknown, signal: AbortSignal | undefined): Outcome {
  if (err instanceof AppError) {
    if (err.kind === 'llm_busy') return 'busy';
    if (err.kind === 'llm_unavailable') return 'unavailable';
    if (err.kind === 'llm_timeout') return 'timeout';
    return 'error';
  }
  return signal?.aborted ? 'aborted' : 'error';
}

function appendToLastUser(messages: ChatMessage[], instruction: string): ChatMessage[] {
  const last = messages[messages.length - 1];
  if (last?.role === 'user') return [...messages.slice(0, -1), { role: 'user', content: `${last.content}\n\n${instruction}` }];
  return [...messages, { role: 'user', content: instruction }];
}

function startsAsJson(text: string): boolean {
  return text.trimStart().startsWith('{');
}

/**
 * A circuit breaker for one provider+model, on cockatiel's sampling breaker: it opens when the
 * share of failed attempts over a sliding window passes a threshold, once the window has seen a
 * minimum number of attempts (so a 20 % error rate under load, or two failures at night, never
 * trip it); while open it refuses at once; after the cooldown one probe goes out (half-open).
 *
 * An attempt counts as a success at its FIRST TOKEN, not when the stream ends: successes and
 * failures then arrive on the same time scale, and a long stream cannot hide behind fast failures.
 */
import { BrokenCircuitError, CircuitState, SamplingBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** 0–1: failed share of attempts in the window that opens the breaker. */
  failureRate: number;
  windowMs: number;
  /** Attempts the window must hold before it may open. */
  minCalls: number;
  cooldownMs: number;
  onState?: (s: BreakerState) => void;
}

export { BrokenCircuitError };

export class CircuitBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private openedAt = 0;

  constructor(private readonly options: BreakerOptions) {
    this.policy = circuitBreaker(
      // NotCounted (a caller's abort) passes through without counting as a failure.
      handleWhen((err) => !(err instanceof NotCounted)),
      {
        halfOpenAfter: options.cooldownMs,
        breaker: new SamplingBreaker({ threshold: options.failureRate, duration: options.windowMs, minimumRps: options.minCalls / (options.windowMs / 1000) }),
      },
    );
    this.policy.onStateChange((s) => {
      if (s === CircuitState.Open || s === CircuitState.Isolated) this.openedAt = Date.now();
      options.onState?.(toState(s));
    });
  }

  get current(): BreakerState {
    return toState(this.policy.state);
  }

  /** Milliseconds until a probe may go out; 0 when calls may go now. */
  refusalMs(): number {
    const s = this.policy.state;
    if (s !== CircuitState.Open && s !== CircuitState.Isolated) return 0;
    return Math.max(0, this.options.cooldownMs - (Date.now() - this.openedAt));
  }

  /** Runs one attempt up to its first token; throws BrokenCircuitError while open. */
  execute<T>(fn: () => Promise<T>): Promise<T> {
    return this.policy.execute(fn);
  }
}

function toState(s: CircuitState): BreakerState {
  return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half_open' : 'open';
}

/** Wraps an attempt's error that says nothing about the provider (the caller left): not counted. */
export class NotCounted extends Error {
  constructor(readonly inner: unknown) {
    super('not counted');
  }
}

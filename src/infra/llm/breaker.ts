/**
 * A circuit breaker for one provider+model: `threshold` consecutive failures open it; while open it
 * fails fast; after `cooldownMs` one probe is let through (half-open); the probe's success closes it,
 * its failure opens it again for another cooldown.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;

  constructor(
    private readonly options: { threshold: number; cooldownMs: number; onState?: (s: BreakerState) => void },
    private readonly now: () => number = Date.now,
  ) {}

  get current(): BreakerState {
    return this.state;
  }

  /**
   * Asks to make one attempt. Returns false while open (or while the half-open probe is out);
   * a true answer must be followed by `success()`, `failure()` or `release()`.
   */
  tryAcquire(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (this.now() - this.openedAt < this.options.cooldownMs) return false;
      this.set('half_open');
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  /** Milliseconds until a probe may go out. */
  retryAfterMs(): number {
    return this.state === 'open' ? Math.max(0, this.options.cooldownMs - (this.now() - this.openedAt)) : this.options.cooldownMs;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.state !== 'closed') this.set('closed');
  }

  failure(): void {
    this.failures++;
    this.probing = false;
    if (this.state === 'half_open' || this.failures >= this.options.threshold) {
      this.openedAt = this.now();
      if (this.state !== 'open') this.set('open');
    }
  }

  /** The attempt ended without telling anything about the provider (the caller aborted). */
  release(): void {
    this.probing = false;
  }

  private set(state: BreakerState): void {
    this.state = state;
    this.options.onState?.(state);
  }
}

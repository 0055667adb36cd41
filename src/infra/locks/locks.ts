/**
 * Short leases, e.g. "this conversation is streaming a reply" (a second turn gets 409).
 * In-process now; Redis (SET NX PX) in scaled mode so the lease holds across processes.
 * A lease is short and its holder renews it while it works (a heartbeat), so a holder that dies
 * frees it within one TTL instead of after the longest possible piece of work.
 */
export interface Lease {
  /** Extends the lease by its TTL from now; false when it was lost (expired and maybe taken). */
  renew(): Promise<boolean>;
  /** Idempotent; never releases a lease someone else took after ours expired. */
  release(): Promise<void>;
}

export interface Locks {
  /** Takes the lease for `ttlMs`, or returns undefined if someone holds it. */
  tryAcquire(key: string, ttlMs: number): Promise<Lease | undefined>;
  close(): Promise<void>;
}

export class MemoryLocks implements Locks {
  private readonly held = new Map<string, { token: number; expiresAt: number }>();
  private seq = 0;

  async tryAcquire(key: string, ttlMs: number): Promise<Lease | undefined> {
    const now = Date.now();
    const cur = this.held.get(key);
    if (cur && cur.expiresAt > now) return undefined;
    const token = ++this.seq;
    this.held.set(key, { token, expiresAt: now + ttlMs });
    const mine = () => {
      const h = this.held.get(key);
      return h?.token === token ? h : undefined;
    };
    return {
      // Still ours even if a stalled event loop let it pass its TTL, as long as nobody took it since.
      renew: async () => {
        const h = mine();
        if (!h) return false;
        h.expiresAt = Date.now() + ttlMs;
        return true;
      },
      release: async () => {
        if (mine()) this.held.delete(key);
      },
    };
  }

  async close(): Promise<void> {
    this.held.clear();
  }
}

/**
 * Holds `lease` while work runs: renews it every `ttlMs / 3`; `onLost` runs once if a renewal
 * finds it gone (the work should stop: someone else may hold the key now).
 */
export function keepAlive(lease: Lease, ttlMs: number, onLost: () => void): () => void {
  let stopped = false;
  const timer = setInterval(() => {
    lease.renew().then(
      (ok) => {
        if (!ok && !stopped) {
          stopped = true;
          clearInterval(timer);
          onLost();
        }
      },
      () => {}, // a store that is briefly down: the next beat tries again
    );
  }, Math.max(50, Math.floor(ttlMs / 3)));
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

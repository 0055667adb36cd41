/**
 * Short leases, e.g. "this conversation is streaming a reply" (a second turn gets 409).
 * In-process now; Redis (SET NX PX) in scaled mode so the lease holds across processes.
 */
export interface Locks {
  /** Takes the lease for `ttlMs`, or returns undefined if someone holds it. Release is idempotent. */
  tryAcquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
  close(): Promise<void>;
}

export class MemoryLocks implements Locks {
  private readonly held = new Map<string, { token: number; expiresAt: number }>();
  private seq = 0;

  async tryAcquire(key: string, ttlMs: number) {
    const now = Date.now();
    const cur = this.held.get(key);
    if (cur && cur.expiresAt > now) return undefined;
    const token = ++this.seq;
    this.held.set(key, { token, expiresAt: now + ttlMs });
    return async () => {
      if (this.held.get(key)?.token === token) this.held.delete(key);
    };
  }

  async close(): Promise<void> {
    this.held.clear();
  }
}

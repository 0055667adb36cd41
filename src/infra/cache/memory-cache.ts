import { LRUCache } from 'lru-cache';
import type { Cache } from './cache.js';

/** In-process LRU; the embedded default and the first tier in scaled mode. */
export class MemoryCache implements Cache {
  private readonly lru: LRUCache<string, { v: unknown }>;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private hits = 0;
  private misses = 0;

  constructor(maxEntries = 50_000) {
    this.lru = new LRUCache({ max: maxEntries, ttlAutopurge: false });
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.getSync<T>(key);
  }

  getSync<T>(key: string): T | undefined {
    const hit = this.lru.get(key);
    if (hit) this.hits++;
    else this.misses++;
    return hit?.v as T | undefined;
  }

  async set<T>(key: string, value: T, ttlSeconds: number): Promise<void> {
    this.setSync(key, value, ttlSeconds);
  }

  setSync<T>(key: string, value: T, ttlSeconds: number): void {
    this.lru.set(key, { v: value }, { ttl: Math.max(1, ttlSeconds) * 1000 });
  }

  async delete(...keys: string[]): Promise<void> {
    this.deleteSync(keys);
  }

  deleteSync(keys: string[]): void {
    for (const k of keys) {
      this.lru.delete(k);
      this.inflight.delete(k);
    }
  }

  async wrap<T>(key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    const hit = this.lru.get(key);
    if (hit) {
      this.hits++;
      return hit.v as T;
    }
    this.misses++;
    const pending = this.inflight.get(key) as Promise<T> | undefined;
    if (pending) return pending;
    const p = load().then(
      (v) => {
        // A delete during the load removed our inflight entry: do not store a stale value.
        if (this.inflight.get(key) === p) this.setSync(key, v, ttlSeconds);
        this.inflight.delete(key);
        return v;
      },
      (err) => {
        if (this.inflight.get(key) === p) this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, p);
    return p;
  }

  stats() {
    return { hits: this.hits, misses: this.misses };
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}

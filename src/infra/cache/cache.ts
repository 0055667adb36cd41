/**
 * The cache interface. Values are JSON-serialisable. `delete` invalidates across every process
 * that shares the cache (Redis pub/sub in scaled mode), so a write is seen fresh everywhere.
 */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlSeconds: number): Promise<void>;
  delete(...keys: string[]): Promise<void>;
  /** Returns the cached value or loads, stores and returns it; concurrent misses share one load. */
  wrap<T>(key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T>;
  /** Counters for /metrics. */
  stats(): { hits: number; misses: number };
  close(): Promise<void>;
}

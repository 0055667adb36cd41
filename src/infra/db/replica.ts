/**
 * Reads that tolerate lag go to a PostgreSQL streaming replica (DATABASE_READ_URL); everything else
 * stays on the primary. Services opt in per query by using `database.read` instead of `database.db`.
 *
 * A read goes to the replica only when all three hold:
 * - it runs inside a request whose policy allows it (`readPolicy`; outside any request, e.g. in
 *   jobs, reads go to the primary);
 * - the client has not written recently (read-your-writes, see READ_YOUR_WRITES_MS);
 * - the replica is provably fresh: a probe every PROBE_MS compares the replica's replayed WAL
 *   position with the primary's position sampled one probe earlier. A replica that is down, slow
 *   or behind stops being used within MAX_LAG_MS, and is used again once it has caught up.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';

export const PROBE_MS = 1000;
/** The replica is used only while it is known to hold every commit older than this. */
export const MAX_LAG_MS = 3000;
/**
 * After a client's write, its reads go to the primary for this long. A write older than
 * MAX_LAG_MS is on any replica we still read from, so a longer window makes the client's own
 * writes always visible; the 2 s over it absorb clock granularity and a slow probe.
 */
export const READ_YOUR_WRITES_MS = 5000;
const PROBE_TIMEOUT_MS = 800;

export interface ReadPolicy {
  /** This request must read from the primary (it writes, or wrote a moment ago). */
  primary: boolean;
}

/** The current request's read policy; set by src/http/read-your-writes.ts. */
export const readPolicy = new AsyncLocalStorage<ReadPolicy>();

export interface ReplicaRouter {
  /** A pg pool for Kysely: each connection comes from the replica or the primary, decided per checkout. */
  pool: { connect(): Promise<pg.PoolClient>; end(): Promise<void> };
  /** Whether reads may go to the replica now (it is fresh). */
  usable(): boolean;
  /** Connections handed out per target, since start. */
  routed: { primary: number; replica: number };
  close(): Promise<void>;
}

/** "16/B374D848" → a comparable number. */
export function parseLsn(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('probe timed out')), ms)))]).finally(() => clearTimeout(timer));
}

export function createReplicaRouter(primary: pg.Pool, replica: pg.Pool, options: { now?: () => number } = {}): ReplicaRouter {
  const now = options.now ?? Date.now;
  /** The replica holds every commit made before this time (ms); undefined = unknown. */
  let knownUpTo: number | undefined;
  let previous: { lsn: bigint; at: number } | undefined;
  let stopped = false;
  const routed = { primary: 0, replica: 0 };

  async function probe(): Promise<void> {
    const at = now();
    try {
      const [p, r] = await withTimeout(
        Promise.all([primary.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn'), replica.query<{ lsn: string | null }>('select pg_last_wal_replay_lsn()::text as lsn')]),
        PROBE_TIMEOUT_MS,
      );
      const replayed = r.rows[0]?.lsn;
      // Not a standby (e.g. DATABASE_READ_URL names the primary itself): always current.
      if (replayed === null || replayed === undefined) knownUpTo = at;
      else if (previous && parseLsn(replayed) >= previous.lsn) knownUpTo = previous.at;
      previous = { lsn: parseLsn(p.rows[0].lsn), at };
    } catch {
      knownUpTo = undefined;
      previous = undefined;
    }
  }

  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    await probe();
    if (!stopped) timer = setTimeout(loop, PROBE_MS).unref();
  };
  void loop();

  const usable = () => knownUpTo !== undefined && now() - knownUpTo < MAX_LAG_MS;

  return {
    routed,
    usable,
    pool: {
      async connect() {
        const policy = readPolicy.getStore();
        if (policy && !policy.primary && usable()) {
          try {
            const client = await replica.connect();
            routed.replica++;
            return client;
          } catch {
            // Down since the last probe: stop using it until a probe sees it fresh again.
            knownUpTo = undefined;
          }
        }
        routed.primary++;
        return primary.connect();
      },
      // The pools belong to the database handle, which ends them.
      end: async () => {},
    },
    async close() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

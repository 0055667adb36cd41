/**
 * Read-your-writes across hosts without shared state: a request that may write (any method but
 * GET/HEAD/OPTIONS) marks its client with a short cookie, and while the client carries it, its
 * reads go to the primary (READ_YOUR_WRITES_MS, in src/infra/db/replica.ts, says why that long).
 * The cookie travels with the client, so it works whichever app host the proxy picks next. It is
 * only a routing hint: forging it merely sends one's own reads to the primary.
 */
import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from '../infra/db/index.js';
import { READ_YOUR_WRITES_MS, readPolicy } from '../infra/db/replica.js';
import type { ReadinessCheck } from '../features/system/routes.js';

export const RECENT_WRITE_COOKIE = 'fastnpc_rw';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const carries = new RegExp(`(?:^|;\\s*)${RECENT_WRITE_COOKIE}=1(?:;|$)`);

export function registerReadYourWrites(app: FastifyInstance, options: { cookieSecure: boolean }): void {
  const cookie = `${RECENT_WRITE_COOKIE}=1; Max-Age=${READ_YOUR_WRITES_MS / 1000}; Path=/api; HttpOnly; SameSite=Lax${options.cookieSecure ? '; Secure' : ''}`;
  app.addHook('onRequest', (request, reply, done) => {
    const writes = !SAFE.has(request.method) && request.url.startsWith('/api/');
    // Set on the raw response so that hijacked streams (SSE turns) carry it too.
    if (writes) reply.raw.setHeader('set-cookie', cookie);
    readPolicy.run({ primary: writes || carries.test(request.headers.cookie ?? '') }, done);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    // Fastify's own Set-Cookie (a login's session) replaces the raw one: add ours beside it.
    if (reply.raw.hasHeader('set-cookie') && reply.hasHeader('set-cookie')) reply.header('set-cookie', cookie);
    done(null, payload);
  });
}

/** /readyz says `degraded` while the replica is down or behind: reads still work, on the primary. */
export function replicaReadiness(database: Pick<DatabaseHandle, 'readStats'>): ReadinessCheck[] {
  if (database.readStats().replica === 'none') return [];
  return [
    {
      name: 'replica',
      critical: false,
      check: async () => {
        if (database.readStats().replica !== 'usable') throw new Error('the read replica is down or behind; reads go to the primary');
      },
    },
  ];
}

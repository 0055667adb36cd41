import { api, isAbort, seg } from '../../../lib/api.js';
import { frameJson, readSse } from '../../../lib/sse.js';
import type { Job } from '../../../lib/types.js';

export const getJob = (id: string, signal?: AbortSignal) => api.get<Job>(`/api/jobs/${seg(id)}`, { signal });
export const cancelJob = (id: string) => api.del(`/api/jobs/${seg(id)}`);

export const isTerminal = (j: Job) => j.state === 'done' || j.state === 'failed' || j.state === 'cancelled';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    });
  });

/**
 * Every state of a job until it ends: from its event stream, and if that breaks (a proxy cutting
 * the connection) by polling `GET /api/jobs/{id}` once a second. Abort with the signal.
 *
 * @example
 *   for await (const job of watchJob(job.id, ctrl.signal)) setJob(job);
 */
export async function* watchJob(id: string, signal?: AbortSignal): AsyncGenerator<Job> {
  try {
    const res = await api.stream('GET', `/api/jobs/${seg(id)}/events`, undefined, signal);
    for await (const f of readSse(res)) {
      if (f.event !== 'job') continue;
      const j = frameJson<Job>(f);
      if (!j) continue;
      yield j;
      if (isTerminal(j)) return;
    }
  } catch (e) {
    if (isAbort(e) || signal?.aborted) throw e;
    // fall back to polling below
  }
  for (;;) {
    const j = await getJob(id, signal);
    yield j;
    if (isTerminal(j)) return;
    await sleep(1000, signal);
  }
}

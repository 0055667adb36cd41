/**
 * Admission control: at most `concurrency` calls run, at most `queueMax` wait (FIFO) for at most
 * `queueWaitMs`. Past that the caller is refused at once (DESIGN.md §2.3: 503 now, never a timeout
 * after minutes).
 */
export type AcquireFailure = 'queue_full' | 'queue_timeout';

export class AdmissionRefused extends Error {
  constructor(readonly reason: AcquireFailure) {
    super(reason === 'queue_full' ? 'LLM queue is full' : 'LLM queue wait expired');
  }
}

interface Waiter {
  grant(): void;
  settled: boolean;
}

export class Limiter {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly options: { concurrency: number; queueMax: number; queueWaitMs: number }) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves to a release function once a slot is free; rejects with AdmissionRefused or the signal's reason. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.running < this.options.concurrency && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.options.queueMax) return Promise.reject(new AdmissionRefused('queue_full'));
    return new Promise((resolve, reject) => {
      const done = () => {
        waiter.settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
      };
      const waiter: Waiter = {
        settled: false,
        grant: () => {
          done();
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        done();
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        done();
        reject(new AdmissionRefused('queue_timeout'));
      }, this.options.queueWaitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting[0];
      // Hand the slot straight to the next waiter, so `running` never dips and lets a newcomer jump the queue.
      if (next) next.grant();
      else this.running--;
    };
  }
}

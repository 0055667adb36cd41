/**
 * Paced reads of an upstream stream. A provider sends each token in its own TCP segment (80 a
 * turn at 50/s); read as they come, each one costs a wake-up, a read syscall, undici's parser and
 * our handlers: a quarter of a streamed turn's CPU (bench/RESULTS.md). A person sees the tokens
 * in frames of ~100 ms anyway, so after the first token we stop reading the socket for one frame
 * and let the kernel gather what arrives; the next read takes it all at once (80 reads → ~17).
 * Every paused socket reads again on one shared tick (PaceClock), so one wake-up serves them all.
 *
 * undici does not expose a request's socket, so the connector marks each socket as "being read"
 * when it becomes readable: undici's own `readable` listener runs right after ours and calls the
 * handler's callbacks synchronously, so a handler asks `socketBeingRead()` in `onResponseStart`.
 * Reading is stopped and started on Node's stream handle (`socket._handle.readStop/readStart`, as
 * Node's own backpressure does), only while Node itself considers the socket reading.
 */
import type { Socket } from 'node:net';
import type { buildConnector } from 'undici';

let beingRead: Socket | undefined;

/** Wraps undici's connector so that every socket it opens reports when it is read. */
export function trackingConnector(connect: buildConnector.connector): buildConnector.connector {
  return (options, callback) =>
    connect(options, (err, socket) => {
      if (socket) {
        socket.prependListener('readable', () => {
          beingRead = socket as Socket;
        });
      }
      (callback as (err: Error | null, socket: unknown) => void)(err, socket);
    });
}

/** The upstream socket whose data is being handled now; valid synchronously inside undici's handler callbacks. */
export function socketBeingRead(): Socket | undefined {
  return beingRead;
}

/** Node's stream handle, as far as pacing touches it. */
interface StreamHandle {
  reading?: boolean;
  readStop(): number;
  readStart(): number;
}

const handleOf = (socket: Socket): StreamHandle | undefined => {
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  return handle && typeof handle.readStop === 'function' && typeof handle.readStart === 'function' ? handle : undefined;
};

/** What the clock resumes: a paused reader (ReadPacer; anything with `release` in tests). */
interface Paused {
  release(): void;
}

/**
 * One clock for every paced socket of a period: a paused socket reads again on the clock's next
 * tick at least half a period away, so in steady state every stream reads on the same tick. A
 * timer per socket woke the process once per stream and frame (~1,000 times a second at 200
 * users); on a shared tick one wake-up resumes them all, and the sockets' data then arrives in one
 * poll of the event loop.
 */
export class PaceClock {
  /** Pacers due on a tick, by the tick's time. */
  private readonly due = new Map<number, Set<Paused>>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(private readonly ms: number) {}

  /** Schedules `pacer` for the first tick at least half a period from now; answers that tick. */
  add(pacer: Paused): number {
    const tick = Math.ceil((performance.now() + this.ms / 2) / this.ms) * this.ms;
    let set = this.due.get(tick);
    if (!set) this.due.set(tick, (set = new Set()));
    set.add(pacer);
    if (tick < this.timerAt) this.arm(tick);
    return tick;
  }

  /** Takes a pacer off its tick (it was released another way). */
  remove(pacer: Paused, tick: number): void {
    const set = this.due.get(tick);
    if (set?.delete(pacer) && set.size === 0) this.due.delete(tick);
  }

  private arm(tick: number): void {
    clearTimeout(this.timer);
    this.timerAt = tick;
    this.timer = setTimeout(this.fire, Math.max(0, tick - performance.now()));
  }

  private readonly fire = () => {
    this.timer = undefined;
    this.timerAt = Infinity;
    // Timers may fire a little early on the loop's clock: a tick within 1 ms counts as come.
    const now = performance.now() + 1;
    let next = Infinity;
    const come: Paused[] = [];
    for (const [tick, set] of this.due) {
      if (tick <= now) {
        this.due.delete(tick);
        for (const pacer of set) come.push(pacer);
      } else if (tick < next) next = tick;
    }
    if (next < Infinity) this.arm(next);
    releaseInPasses(come, 0);
  };
}

/**
 * Streams resumed per pass of the event loop. Each resumed socket's data is handled in the next
 * poll, and a first token that arrives meanwhile waits for that whole pass: at 1,000 users one
 * pass of ~500 streams held it ~50 ms (bench/RESULTS.md). Later passes follow at once (setImmediate).
 */
export const STREAMS_PER_PASS = 100;

function releaseInPasses(pacers: Paused[], from: number): void {
  const end = Math.min(pacers.length, from + STREAMS_PER_PASS);
  for (let i = from; i < end; i++) pacers[i]!.release();
  if (end < pacers.length) setImmediate(releaseInPasses, pacers, end);
}

const clocks = new Map<number, PaceClock>();
const clockOf = (ms: number) => clocks.get(ms) ?? clocks.set(ms, new PaceClock(ms)).get(ms)!;

/** Pauses reading one socket for about `ms` at a time (the clock's tick); `release()` (at the end of a response, always) reads again at once. */
export class ReadPacer {
  /** The tick this pacer waits for, while paused. */
  private tick: number | undefined;
  private readonly clock: PaceClock;

  constructor(
    private readonly socket: Socket | undefined,
    ms: number,
  ) {
    this.clock = clockOf(ms);
  }

  /** Stops reading until the clock's next tick unless already paused; data already read is still handled. */
  pause(): void {
    if (this.tick !== undefined || !this.socket || this.socket.destroyed) return;
    const handle = handleOf(this.socket);
    // Not reading means Node paused it (backpressure) and will restart it itself.
    if (!handle?.reading || handle.readStop() !== 0) return;
    this.tick = this.clock.add(this);
  }

  /** Reads again now. Safe to call any number of times, and after the socket is gone. */
  release(): void {
    if (this.tick === undefined) return;
    this.clock.remove(this, this.tick);
    this.tick = undefined;
    const handle = this.socket && !this.socket.destroyed ? handleOf(this.socket) : undefined;
    // Node still believes it is reading, so it will not start the handle itself: we must.
    if (handle?.reading && handle.readStart() !== 0) this.socket!.destroy(new Error('could not resume reading the upstream socket'));
  }
}

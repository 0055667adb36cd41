/**
 * Paced reads of an upstream stream. A provider sends each token in its own TCP segment (80 a
 * turn at 50/s); read as they come, each one costs a wake-up, a read syscall, undici's parser and
 * our handlers: a quarter of a streamed turn's CPU (bench/RESULTS.md). A person sees the tokens
 * in frames of ~100 ms anyway, so after the first token we stop reading the socket for one frame
 * and let the kernel gather what arrives; the next read takes it all at once (80 reads → ~17).
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

/** Pauses reading one socket for `ms` at a time; `release()` (at the end of a response, always) reads again at once. */
export class ReadPacer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly wake = () => this.release();

  constructor(
    private readonly socket: Socket | undefined,
    private readonly ms: number,
  ) {}

  /** Stops reading for `ms` unless already paused; data already read is still handled. */
  pause(): void {
    if (this.stopped || !this.socket || this.socket.destroyed) return;
    const handle = handleOf(this.socket);
    // Not reading means Node paused it (backpressure) and will restart it itself.
    if (!handle?.reading || handle.readStop() !== 0) return;
    this.stopped = true;
    this.timer = setTimeout(this.wake, this.ms);
  }

  /** Reads again now. Safe to call any number of times, and after the socket is gone. */
  release(): void {
    if (!this.stopped) return;
    this.stopped = false;
    clearTimeout(this.timer);
    const handle = this.socket && !this.socket.destroyed ? handleOf(this.socket) : undefined;
    // Node still believes it is reading, so it will not start the handle itself: we must.
    if (handle?.reading && handle.readStart() !== 0) this.socket!.destroy(new Error('could not resume reading the upstream socket'));
  }
}

/**
 * Messages between the processes of one deployment: job progress, job cancellation, cache
 * invalidation. In-process (EventEmitter) when embedded; Redis pub/sub in scaled mode.
 * Delivery is best effort; durable state lives in the database.
 */
import { EventEmitter } from 'node:events';

export interface PubSub {
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: (message: any) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export class MemoryPubSub implements PubSub {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Many SSE clients may follow jobs at once; each is one listener.
    this.emitter.setMaxListeners(0);
  }

  async publish(channel: string, message: unknown): Promise<void> {
    this.emitter.emit(channel, message);
  }

  async subscribe(channel: string, handler: (message: any) => void) {
    this.emitter.on(channel, handler);
    return async () => {
      this.emitter.off(channel, handler);
    };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

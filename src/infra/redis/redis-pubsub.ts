/**
 * PubSub on Redis: JSON messages, one subscriber connection per process however many channels
 * and handlers there are. Best effort like the interface says: a publish while Redis is down is
 * dropped (counted and logged by the reporter), never thrown at the caller.
 */
import type { Redis } from 'ioredis';
import type { PubSub } from '../pubsub/pubsub.js';
import { closeRedis, type ErrorReporter } from './connection.js';

export class RedisPubSub implements PubSub {
  private readonly handlers = new Map<string, Set<(message: any) => void>>();
  private readonly resubscribeListeners = new Set<() => void>();
  private closed = false;
  private subscribed = false;

  /** `subscriber` becomes this object's; `publisher` is shared and closed by its owner. */
  constructor(
    private readonly subscriber: Redis,
    private readonly publisher: Redis,
    private readonly reporter: ErrorReporter,
  ) {
    subscriber.on('message', (channel: string, raw: string) => this.dispatch(channel, raw));
    subscriber.on('close', () => (this.subscribed = false));
    subscriber.on('ready', () => void this.confirmSubscriptions());
    if (subscriber.status === 'ready') void this.confirmSubscriptions();
  }

  /** True while our channels are subscribed; false from a disconnect until re-subscribed. */
  get live(): boolean {
    return this.subscribed && this.subscriber.status === 'ready';
  }

  /**
   * Runs `listener` each time the subscriptions are back after a reconnect. Messages published
   * in between were lost, so a listener drops whatever they might have invalidated.
   */
  onResubscribe(listener: () => void): void {
    this.resubscribeListeners.add(listener);
  }

  /** Resolves true once live, false after `timeoutMs`. */
  waitLive(timeoutMs: number): Promise<boolean> {
    if (this.live) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.resubscribeListeners.delete(onLive);
        resolve(ok);
      };
      const onLive = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.resubscribeListeners.add(onLive);
    });
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.publisher.status !== 'ready') {
      this.reporter.error('pubsub', new Error(`connection ${this.publisher.status}`));
      return;
    }
    try {
      await this.publisher.publish(channel, JSON.stringify(message));
    } catch (err) {
      this.reporter.error('pubsub', err);
    }
  }

  async subscribe(channel: string, handler: (message: any) => void) {
    if (this.closed) throw new Error('pubsub is closed');
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      // Offline, SUBSCRIBE waits in the subscriber's queue and runs on connect; ioredis then
      // re-subscribes after every reconnect. Only wait for it while connected, so start-up with
      // Redis down is not blocked.
      const subscribing = this.subscriber.subscribe(channel);
      if (this.subscriber.status === 'ready') await subscribing;
      else subscribing.catch((err) => this.reporter.error('pubsub', err));
    }
    set.add(handler);
    return async () => {
      const s = this.handlers.get(channel);
      if (!s?.delete(handler) || s.size) return;
      this.handlers.delete(channel);
      if (this.subscriber.status === 'ready') await this.subscriber.unsubscribe(channel).catch(() => {});
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    await closeRedis(this.subscriber);
  }

  /**
   * ioredis emits 'ready' before it re-sends SUBSCRIBE; subscribing again (a no-op for Redis) and
   * awaiting the reply tells us when the subscriptions are really in place.
   */
  private async confirmSubscriptions() {
    const channels = [...this.handlers.keys()];
    try {
      if (channels.length) await this.subscriber.subscribe(...channels);
    } catch (err) {
      this.reporter.error('pubsub', err);
      return;
    }
    this.subscribed = true;
    for (const l of this.resubscribeListeners) l();
  }

  private dispatch(channel: string, raw: string) {
    const set = this.handlers.get(channel);
    if (!set) return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch (err) {
      this.reporter.error('pubsub', err);
      return;
    }
    for (const h of set) {
      try {
        h(message);
      } catch (err) {
        // One broken handler must not starve the others of the message.
        this.reporter.error('pubsub:handler', err);
      }
    }
  }
}

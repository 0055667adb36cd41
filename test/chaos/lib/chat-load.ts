/**
 * A bounded chat load over real HTTP SSE: N users, each with a character, each sending turns one
 * after another (a closed loop) until told to stop. Every turn carries a unique text, so the
 * database check can find exactly the messages the clients saw accepted or refused.
 */
import { randomBytes } from 'node:crypto';
import { TestClient } from '../../support/app.js';
import { importCard } from '../../support/characters.js';
import { readSse } from '../../support/sse.js';
import { PASSWORD } from './world.js';

export interface ChatUser {
  client: TestClient;
  characterId: number;
  index: number;
}

export type TurnKind =
  /** Stream opened and ended with `done`. */
  | 'done'
  /** Stream opened, then an `error` frame, or it broke / ended without a final frame. */
  | 'failed'
  /** 429/503 with Retry-After: an honest refusal, nothing may be stored. */
  | 'refused'
  /** 409: the conversation is held by another turn (a stuck lease when it lasts). */
  | 'busy'
  /** Any other 5xx (or 503 without Retry-After). */
  | 'server_error'
  /** Another 4xx. */
  | 'rejected'
  /** No HTTP answer at all (the server was down or the connection was cut before headers). */
  | 'unreachable';

export interface TurnOutcome {
  user: number;
  content: string;
  kind: TurnKind;
  status: number;
  /** The stream opened (2xx): the message must be stored exactly once. */
  accepted: boolean;
  errorCode?: string;
  retryAfter?: string;
  startedAt: number;
  endedAt: number;
}

export async function createUsers(baseUrl: string, count: number): Promise<ChatUser[]> {
  const users: ChatUser[] = [];
  for (let i = 0; i < count; i++) {
    const client = new TestClient(baseUrl);
    await client.register(`load_${randomBytes(4).toString('hex')}`, PASSWORD);
    const c = await importCard(client, `角色${i}`);
    users.push({ client, characterId: c.id, index: i });
  }
  return users;
}

export async function sendTurn(baseUrl: string, user: ChatUser, content: string): Promise<TurnOutcome> {
  const startedAt = Date.now();
  const base = { user: user.index, content, startedAt };
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/api/characters/${user.characterId}/messages`, {
      method: 'POST',
      headers: { cookie: user.client.cookie, accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ content }),
      signal: AbortSignal.timeout(120_000),
    });
  } catch {
    return { ...base, kind: 'unreachable', status: 0, accepted: false, endedAt: Date.now() };
  }
  const retryAfter = res.headers.get('retry-after') ?? undefined;
  const isStream = (res.headers.get('content-type') ?? '').includes('text/event-stream');
  if (res.status === 200 && isStream) {
    let final: { event: string; data: any } | undefined;
    try {
      for await (const f of readSse(res)) if (f.event === 'done' || f.event === 'error') final = f;
    } catch {
      /* the stream broke: no final frame */
    }
    return { ...base, kind: final?.event === 'done' ? 'done' : 'failed', status: 200, accepted: true, errorCode: final?.event === 'error' ? final.data?.code : final ? undefined : 'stream_broken', retryAfter, endedAt: Date.now() };
  }
  const text = await res.text().catch(() => '');
  let errorCode: string | undefined;
  try {
    errorCode = JSON.parse(text).error?.code;
  } catch {
    /* not JSON */
  }
  const kind: TurnKind =
    (res.status === 429 || res.status === 503) && retryAfter ? 'refused' : res.status === 409 ? 'busy' : res.status >= 500 ? 'server_error' : res.status >= 200 && res.status < 300 ? 'failed' : 'rejected';
  return { ...base, kind, status: res.status, accepted: res.status >= 200 && res.status < 300, errorCode, retryAfter, endedAt: Date.now() };
}

export class ChatLoad {
  readonly outcomes: TurnOutcome[] = [];
  private stopping = false;
  private loops: Promise<void>[] = [];
  private seq = 0;
  constructor(private readonly baseUrl: () => string, private readonly users: ChatUser[], readonly runId: string) {}

  content(user: ChatUser): string {
    return `chaos:${this.runId}:${user.index}:${++this.seq} 你好，今天过得怎么样？`;
  }

  start(): void {
    this.stopping = false;
    this.loops = this.users.map(async (u) => {
      while (!this.stopping) {
        const o = await sendTurn(this.baseUrl(), u, this.content(u));
        this.outcomes.push(o);
        // A refused or unreachable turn is retried at once by a real client's loop; a short
        // breath keeps the loop from spinning while the server is gone.
        if (o.kind !== 'done') await new Promise((r) => setTimeout(r, 100));
      }
    });
  }

  /** Asks every user to stop and waits for the turns in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  since(t: number): TurnOutcome[] {
    return this.outcomes.filter((o) => o.startedAt >= t);
  }
}

/** Reads a server-sent-event response into frames, as a browser's EventSource would. */
export interface Frame {
  event: string;
  data: any;
}

export async function* readSse(res: Response): AsyncGenerator<Frame> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let idx: number;
    while ((idx = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) yield { event, data: JSON.parse(data.join('\n')) };
    }
  }
}

export async function collectSse(res: Response): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const f of readSse(res)) frames.push(f);
  return frames;
}

/** POSTs JSON asking for an event stream, with the client's cookie. */
export function postSse(url: string, cookie: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { cookie, accept: 'text/event-stream', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal,
  });
}

/**
 * Markdown for chat bubbles and biographies, loaded on demand: the Markdown stack is a quarter of
 * the app's code and the sign-in screen needs none of it. Until the chunk arrives the text shows as
 * it is (line breaks kept), in the same box, so nothing jumps when it is replaced.
 *
 * Chat messages (`ChatMarkdown`) in the common case — paragraphs, `- ` lists, `*actions*` — need
 * none of it either: ./light-markdown.ts renders them the same way without the stack (issue #19:
 * evaluating the 170 KB chunk at 4× CPU before the first message painted held the chat's largest
 * paint back). The full renderer is fetched only for a message that needs it, or once the list is
 * on screen and the browser is idle (so a message scrolled to later does not wait).
 */
import { createContext, lazy, memo, Suspense, use, useContext, useEffect, useState, type ReactNode, type RefObject } from 'react';
import { lightMarkdown } from './light-markdown.js';
import { chunk } from '../lib/lazy.js';

const view = chunk(() => import('./MarkdownView.js'));
const loadView = view.load;
const MarkdownView = lazy(loadView);

/** Starts fetching the full renderer when the browser is idle (after the first messages show). */
export function preloadMarkdown(): void {
  if (view.started) return;
  const go = () => void loadView().catch(() => undefined);
  if (typeof requestIdleCallback === 'function') requestIdleCallback(go, { timeout: 3000 });
  else setTimeout(go, 500);
}

/**
 * True while a list waits as a whole for its first showing (inside one <Suspense>): a message that
 * needs the full renderer then suspends the list instead of showing as plain text and moving when
 * Markdown arrives (a layout shift). Once the list is on screen (false), such a message shows as
 * plain text meanwhile: suspending then would hide the whole list.
 */
export const WaitWithList = createContext<RefObject<boolean> | null>(null);

/** Light renderings by text, newest last (rows of a virtual list mount again as they scroll back). */
const lightCache = new Map<string, ReactNode[] | null>();
function light(text: string): ReactNode[] | null {
  let out = lightCache.get(text);
  if (out !== undefined) {
    lightCache.delete(text);
  } else {
    out = lightMarkdown(text);
    if (lightCache.size >= 400) lightCache.delete(lightCache.keys().next().value as string);
  }
  lightCache.set(text, out);
  return out;
}

/** A chat message: light when it can be, else the full renderer (see `WaitWithList`). */
export const ChatMarkdown = memo(function ChatMarkdown({ text, keep = true }: { text: string; /** false for a reply still streaming. */ keep?: boolean }) {
  const nodes = keep ? light(text) : lightMarkdown(text); // a streaming reply's every prefix would push the others out
  const wait = useContext(WaitWithList);
  const [, setLoaded] = useState(!!view.loaded);
  const needsFull = nodes === null && !view.loaded;
  useEffect(() => {
    if (needsFull) void loadView().then(() => setLoaded(true), () => undefined);
  }, [needsFull]);
  if (nodes) return <div className="md">{nodes}</div>;
  const full = view.loaded;
  if (full) return <full.MarkdownView text={text} keep={keep} />;
  if (wait?.current) use(loadView());
  return (
    <div className="md md-plain">
      <p>{text}</p>
    </div>
  );
});

/** Biographies and other text outside the message list: light when it can be, else the full renderer (plain text until it loads). */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  const nodes = light(text);
  if (nodes) return <div className="md">{nodes}</div>;
  return (
    <Suspense
      fallback={
        <div className="md md-plain">
          <p>{text}</p>
        </div>
      }
    >
      <MarkdownView text={text} />
    </Suspense>
  );
});

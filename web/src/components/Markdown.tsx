/**
 * Markdown for chat bubbles and biographies, loaded on demand: the Markdown stack is a quarter of
 * the app's code and the sign-in screen needs none of it. Until the chunk arrives the text shows as
 * it is (line breaks kept), in the same box, so nothing jumps when it is replaced.
 */
import { lazy, memo, Suspense } from 'react';

const loadView = () => import('./MarkdownView.js');
const MarkdownView = lazy(loadView);

/** Starts fetching the renderer early (the signed-in app does, so the first messages do not wait). */
export function preloadMarkdown(): void {
  void loadView();
}

/**
 * The renderer without a fallback of its own: for a list that waits as a whole (inside one
 * <Suspense>), so the messages do not first show as plain text and then move as Markdown arrives.
 */
export const MarkdownWhenLoaded = MarkdownView;

export const Markdown = memo(function Markdown({ text }: { text: string }) {
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

/**
 * The scrolling message list shared by one-to-one and group conversations, virtualised: only the
 * messages on screen (and a few either side) are in the DOM, so a 1,000-message chat costs a
 * keystroke, a scroll step or an older page what a 30-message one does (issue #19: with every
 * loaded page kept in the DOM, 13,000 elements made each key 93 ms and the climb to the top a
 * 321 ms task at 4× CPU).
 *
 * Scrolling rules: opening a conversation jumps to the newest message; while a reply streams the
 * list follows it only if the reader is already at the bottom; sending a message jumps to the
 * newest message wherever the reader was; older pages load as the reader nears the top (or presses
 * the button), and the message they were reading stays where it was (TanStack Virtual's
 * `anchorTo: 'end'` keeps the keyed item in view across a prepend). Away from the bottom a
 * "latest" button jumps back.
 *
 * Accessibility: the rows are in reading order in the DOM (each placed by a transform); the log itself is focusable, so arrow keys, Page Up/Down,
 * Home and End scroll it; a row being edited or holding focus is never unmounted.
 */
import { useVirtualizer, defaultRangeExtractor, type Range } from '@tanstack/react-virtual';
import { memo, Suspense, useLayoutEffect, useMemo, useRef, useState, type ReactNode, type RefObject } from 'react';
import type { ChatItem } from '../lib/conversation.js';
import { useI18n } from '../i18n/index.js';
import { Avatar } from './Avatar.js';
import { Icon } from './Icon.js';
import { ChatMarkdown as Markdown, preloadMarkdown, WaitWithList } from './Markdown.js';

export interface Sender {
  name: string;
  avatarUrl?: string | null;
}

export interface MessageListProps {
  items: ChatItem[];
  loaded: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  streaming: boolean;
  senderFor: (it: ChatItem) => Sender;
  onEdit?: (it: ChatItem, content: string) => Promise<void>;
  onDelete?: (it: ChatItem) => void;
  onRegenerate?: () => void;
  /** "Save and regenerate": the last user message, edited, is answered again (the old reply stays as a version). */
  onEditAndRegenerate?: (it: ChatItem, content: string) => Promise<void>;
  /** Swipes: show another version of a reply. */
  onChooseAlternative?: (it: ChatItem, index: number) => void;
  /** Extra detail beside the sender's name (group chat: why this member spoke). */
  metaFor?: (it: ChatItem) => ReactNode;
  /** "What was sent": opens the inspection of a stored reply. */
  onInspect?: (it: ChatItem) => void;
  empty: ReactNode;
}

/** Within this many pixels of the end the reader counts as at the bottom (and is followed). */
const AT_END = 80;
/** How long End or "latest" holds the log at the end after the last thing that moved it away (see `toEnd`). */
const PIN_MS = 1500;
/** Older pages are asked for this far before the top, so they are usually in before the reader gets there. */
const LOAD_AHEAD = 600;

/**
 * A first guess of a row's height before it is measured: name line, bubble padding, the text's
 * lines at about 34 characters a line on a phone, the action row and the gap. Only the scrollbar's
 * length depends on it; positions come from measured rows.
 */
function estimateHeight(it: ChatItem | undefined): number {
  if (!it) return 100;
  const lines = it.content.split('\n').reduce((n, l) => n + Math.max(1, Math.ceil(l.length / 34)), 0);
  return 84 + 22 * Math.min(lines, 60);
}

export function MessageList(props: MessageListProps) {
  const { items, loaded, hasOlder, loadingOlder, onLoadOlder, streaming, senderFor, onEdit, onDelete, onRegenerate, onEditAndRegenerate, onChooseAlternative, onInspect, metaFor, empty } = props;
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const trackRef = useRef<HTMLDivElement>(null);
  const [editing, setEditing] = useState<string | null>(null);
  /** The row holding focus: kept mounted while scrolled away, so focus is not dropped on <body>. */
  const focusedKey = useRef<string | null>(null);
  /** Where the list starts inside the scroller (below the "older" row), for the virtualizer's offsets. */
  const [margin, setMargin] = useState(0);
  const [away, setAway] = useState(false);
  /** Until the rows first show, a row needing the full Markdown renderer holds the whole list back (Markdown.tsx). */
  const waitWithList = useRef(true);
  const prev = useRef<{ lastUserKey?: string; userCount: number; count: number }>({ count: 0, userCount: 0 });
  const handlers = useRef<Handlers>({ onEdit, onDelete, onRegenerate, onChooseAlternative, onEditAndRegenerate, onInspect });
  handlers.current = { onEdit, onDelete, onRegenerate, onChooseAlternative, onEditAndRegenerate, onInspect };
  const hasEdit = !!onEdit;
  const hasDelete = !!onDelete;
  const hasRegenerate = !!onRegenerate;
  const hasAlternatives = !!onChooseAlternative;
  const hasEditAndRegenerate = !!onEditAndRegenerate;
  const hasInspect = !!onInspect;
  const has = useMemo(
    () => ({ edit: hasEdit, delete: hasDelete, regenerate: hasRegenerate, alternatives: hasAlternatives, editAndRegenerate: hasEditAndRegenerate, inspect: hasInspect }),
    [hasEdit, hasDelete, hasRegenerate, hasAlternatives, hasEditAndRegenerate, hasInspect],
  );

  const keep = (key: string | null) => (key === null ? -1 : items.findIndex((it) => it.key === key));
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => ref.current,
    estimateSize: (i) => estimateHeight(items[i]),
    getItemKey: (i) => items[i]?.key ?? i,
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: AT_END,
    overscan: 4,
    scrollMargin: margin,
    // Attached to the scroller only once there are rows: attaching reads its size and writes its
    // offset, which forced the whole page's first layout inside the commit that mounted the app,
    // before the chat's requests were sent (a long task at 4× CPU). With rows, that layout is
    // needed for their measurement anyway.
    enabled: items.length > 0,
    // The scroller's size until it is read (when the rows come): the window's, a little more than
    // the scroller's. With none (0 × 0) the first rows rendered were the overscan alone, and a
    // second render and measurement in the same task followed (the first messages' task at 4× CPU
    // went from ~105 to ~75 ms).
    initialRect: typeof window === 'undefined' ? undefined : { width: window.innerWidth, height: window.innerHeight },
    // Rows measured together once a frame, and renders for a scroll step left to React's batching:
    // with a sync render per event and per measured row, one scroll step on a slow phone was
    // several renders and forced layouts in a row (a 200 ms task).
    useAnimationFrameWithResizeObserver: true,
    useFlushSync: false,
    rangeExtractor: (range: Range) => {
      const shown = defaultRangeExtractor(range);
      const extra = [keep(editing), keep(focusedKey.current)].filter((i) => i >= 0 && !shown.includes(i));
      return extra.length ? [...shown, ...extra].sort((a, b) => a - b) : shown;
    },
  });
  const rows = virtualizer.getVirtualItems();

  // Layout reads (offsetTop, scrollHeight) only when what they depend on changed: this list
  // re-renders on every scroll step that shows new rows, and a forced layout in each of those
  // renders was most of a long task on a slow phone.
  const hasRows = items.length > 0;
  useLayoutEffect(() => {
    const track = trackRef.current;
    if (track && track.offsetTop !== margin) setMargin(track.offsetTop);
  }, [loaded, hasOlder, hasRows, margin]);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const p = prev.current;
    const tail = items.slice(-2);
    const lastUserKey = [...tail].reverse().find((it) => it.role === 'user')?.key;
    const userCount = items.reduce((n, it) => n + (it.role === 'user' ? 1 : 0), 0);
    // Opened, or the reader just sent something (one more user message, at the end): show the newest.
    // (A stored copy replacing the local one changes the key, not the count; older pages change the count, not the tail.)
    const sent = lastUserKey && lastUserKey !== p.lastUserKey && userCount > p.userCount && p.count > 0;
    if ((p.count === 0 && items.length > 0) || sent) {
      virtualizer.scrollToEnd();
      setAway(false);
    }
    prev.current = { lastUserKey: lastUserKey ?? p.lastUserKey, userCount, count: items.length };
    fillIfShort();
  }, [items, hasOlder, loadingOlder, loaded]); // eslint-disable-line react-hooks/exhaustive-deps -- the virtualizer and onLoadOlder are read when these change

  // A short chat does not fill the pane, so no scroll event would ever ask for more. Only once the
  // rows are shown: while the Markdown renderer loads, the pane is empty, not short.
  const fillIfShort = () => {
    const el = ref.current;
    if (el && trackRef.current && hasOlder && !loadingOlder && loaded && el.scrollHeight <= el.clientHeight + 4) onLoadOlder();
  };

  // The rows appear after the layout effect above ran (the renderer was still loading): go to the end.
  const reveal = () => {
    if (!away) virtualizer.scrollToEnd();
    fillIfShort();
  };

  // The first rows are on screen: from now on a row needing the full renderer shows as plain text
  // until it arrives, and the renderer is fetched when the browser is idle.
  const rowsShown = () => {
    waitWithList.current = false;
    preloadMarkdown();
  };

  /**
   * End and "latest": to the newest message, and held there while something other than the reader
   * moves the log away (until they scroll, press a key, click or touch, or nothing has moved it for
   * PIN_MS). Chromium does not stop a keyboard scroll still animating (Page Up pressed just before)
   * for a script's scroll: it carried the log back up after the jump (the first End stopped short
   * in a browser test on a loaded machine, where that animation runs longer).
   */
  const pinnedUntil = useRef(0);
  const unpin = () => (pinnedUntil.current = 0);
  const toEnd = () => {
    pinnedUntil.current = performance.now() + PIN_MS;
    virtualizer.scrollToEnd();
    setAway(false);
  };

  // (The virtualizer's own scroll listener, added after this one, reads the same layout: the
  // reads here force nothing extra.)
  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    if (pinnedUntil.current > performance.now() && el.scrollHeight - el.scrollTop - el.clientHeight > 2) return toEnd();
    const isAway = el.scrollHeight - el.scrollTop - el.clientHeight > el.clientHeight;
    if (isAway !== away) setAway(isAway);
    if (el.scrollTop < LOAD_AHEAD && hasOlder && !loadingOlder && loaded) onLoadOlder();
  };

  const last = items[items.length - 1];
  // Only the last user message can be answered again (what follows it is its reply).
  const lastUser = [...items].reverse().find((it) => it.role === 'user');
  return (
    <div className="messages-pane">
      <div
        className={`messages ${loaded && items.length === 0 ? 'is-empty' : ''}`}
        ref={ref}
        onScroll={onScroll}
        onWheel={unpin}
        onTouchStart={unpin}
        onPointerDown={unpin}
        role="log"
        aria-label={t('chat.messages')}
        aria-busy={streaming}
        // Focusable so the keyboard can scroll it (arrows, Page Up/Down, Home/End): the rows off
        // screen are not in the DOM for Tab to reach.
        tabIndex={0}
        onFocus={(e) => (focusedKey.current = (e.target as HTMLElement).closest<HTMLElement>('[data-row]')?.dataset.row ?? null)}
        // End goes to the newest message through the virtualizer: the browser's own End stops at
        // the end as estimated, short of it once the rows on the way are measured.
        onKeyDown={(e) => {
          if (e.key !== 'End') unpin();
          if (e.key !== 'End' || e.target !== e.currentTarget || e.ctrlKey || e.altKey || e.metaKey || e.shiftKey) return;
          e.preventDefault();
          toEnd();
        }}
        onBlur={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) focusedKey.current = null;
        }}
      >
        {loaded && hasOlder ? (
          <div className="older">
            <button type="button" className="btn btn-ghost btn-sm" onClick={onLoadOlder} disabled={loadingOlder}>
              {loadingOlder ? t('chat.loadingOlder') : t('chat.loadOlder')}
            </button>
          </div>
        ) : loaded && items.length > 0 ? (
          <div className="older muted small">{t('chat.beginning')}</div>
        ) : null}
        {!loaded ? <div className="center muted">{t('app.loading')}</div> : null}
        {loaded && items.length === 0 ? <div className="center muted empty-chat">{empty}</div> : null}
        {/* One boundary for the whole list: it shows once the Markdown renderer is in (fetched beside
            the first page), instead of plain text that moves when it is replaced (a layout shift). */}
        <WaitWithList value={waitWithList}>
        <Suspense fallback={loaded && items.length > 0 ? <div className="center muted">{t('app.loading')}</div> : null}>
          {items.length > 0 ? (
            <div ref={trackRef} className="msg-track" style={{ height: virtualizer.getTotalSize() }}>
              {rows.map((v) => {
                const it = items[v.index];
                if (!it) return null;
                const sender = senderFor(it);
                // Each row placed on its own: a scroll step then lays out and paints only the rows
                // it adds, not every row again (one translated block moved them all, a repaint of
                // the whole screen per step).
                return (
                  <div key={v.key} className="msg-row" data-index={v.index} data-row={it.key} ref={virtualizer.measureElement} style={{ transform: `translateY(${v.start - margin}px)` }}>
                      <MessageRow
                        it={it}
                        senderName={sender.name}
                        senderAvatar={sender.avatarUrl}
                        isEditing={editing === it.key}
                        canAct={!streaming && it.id !== null}
                        isLast={it === last}
                        isLastUser={it === lastUser}
                        meta={metaFor?.(it)}
                        has={has}
                        handlers={handlers}
                        setEditing={setEditing}
                      />
                  </div>
                );
              })}
              <Revealed onReveal={rowsShown} />
            </div>
          ) : null}
          <Revealed onReveal={reveal} />
        </Suspense>
        </WaitWithList>
      </div>
      {away && items.length > 0 ? (
        <button
          type="button"
          className="btn btn-sm jump-latest"
          onClick={toEnd}
        >
          <span aria-hidden="true">↓</span> {t('chat.jumpToLatest')}
        </button>
      ) : null}
    </div>
  );
}

/** Calls `onReveal` when its Suspense boundary first shows its content. */
function Revealed({ onReveal }: { onReveal: () => void }) {
  const cb = useRef(onReveal);
  cb.current = onReveal;
  useLayoutEffect(() => cb.current(), []);
  return null;
}

type Handlers = Pick<MessageListProps, 'onEdit' | 'onDelete' | 'onRegenerate' | 'onChooseAlternative' | 'onEditAndRegenerate' | 'onInspect'>;

interface MessageRowProps {
  it: ChatItem;
  senderName: string;
  senderAvatar?: string | null;
  isEditing: boolean;
  canAct: boolean;
  isLast: boolean;
  isLastUser: boolean;
  /** Extra detail beside the sender's name (MessageListProps.metaFor). */
  meta?: ReactNode;
  has: { edit: boolean; delete: boolean; regenerate: boolean; alternatives: boolean; editAndRegenerate: boolean; inspect: boolean };
  /** The caller's latest callbacks: read when clicked, so a new closure does not re-render every row. */
  handlers: RefObject<Handlers>;
  setEditing: (key: string | null) => void;
}

/**
 * One message. Memoised: in a long chat a new page or a streamed token re-renders only the rows
 * that changed, not a thousand (at 4× CPU that was most of a long task per page).
 */
const MessageRow = memo(function MessageRow({ it, senderName, senderAvatar, isEditing, canAct, isLast, isLastUser, meta, has, handlers, setEditing }: MessageRowProps) {
  const { t } = useI18n();
  const mine = it.role === 'user';
  return (
      <article data-key={it.key} className={`msg ${mine ? 'msg-user' : 'msg-bot'} ${it.status === 'error' ? 'msg-error' : ''}`} data-status={it.status} data-role={it.role}>
        <Avatar name={senderName} url={senderAvatar} size={36} />
        <div className="msg-main">
          <div className="msg-name">
            {senderName}
            {it.editedAt ? <span className="muted small"> · {t('chat.edited')}</span> : null}
            {meta}
          </div>
          {isEditing ? (
            <EditBox
              initial={it.content}
              onCancel={() => setEditing(null)}
              onSave={async (text) => {
                await handlers.current.onEdit?.(it, text);
                setEditing(null);
              }}
              onSaveAndRegenerate={
                has.editAndRegenerate && isLastUser
                  ? async (text) => {
                      setEditing(null);
                      await handlers.current.onEditAndRegenerate?.(it, text);
                    }
                  : undefined
              }
            />
          ) : (
            <div className="bubble">
              {it.status === 'streaming' && it.content === '' ? (
                <span className="typing" aria-label={t('chat.thinking')}>
                  <i />
                  <i />
                  <i />
                </span>
              ) : (
                <Markdown text={it.content} keep={it.status !== 'streaming'} />
              )}
              {it.status === 'interrupted' ? <div className="muted small">{t('chat.interrupted')}</div> : null}
              {it.status === 'unanswered' ? <div className="muted small">{t('chat.unanswered')}</div> : null}
              {it.status === 'error' ? <div className="error-text small">{t('chat.replyFailed', { message: it.error ?? '' })}</div> : null}
            </div>
          )}
          {!isEditing && canAct ? (
            <div className="msg-actions">
              {has.alternatives && it.alternatives && it.alternatives.count > 1 ? (
                <span className="swipes" role="group" aria-label={t('chat.versions')}>
                  <button type="button" className="icon-btn" aria-label={t('chat.previousVersion')} disabled={it.alternatives.index === 0} onClick={() => handlers.current.onChooseAlternative?.(it, it.alternatives!.index - 1)}>
                    ←
                  </button>
                  <span className="muted small">
                    {it.alternatives.index + 1}/{it.alternatives.count}
                  </span>
                  <button type="button" className="icon-btn" aria-label={t('chat.nextVersion')} disabled={it.alternatives.index >= it.alternatives.count - 1} onClick={() => handlers.current.onChooseAlternative?.(it, it.alternatives!.index + 1)}>
                    →
                  </button>
                </span>
              ) : null}
              {mine && has.edit ? (
                <button type="button" className="icon-btn" aria-label={t('chat.editMessage')} title={t('chat.editMessage')} onClick={() => setEditing(it.key)}>
                  <Icon name="edit" size={16} />
                </button>
              ) : null}
              {!mine && has.regenerate && isLast ? (
                <button type="button" className="icon-btn" aria-label={t('chat.regenerate')} title={t('chat.regenerate')} onClick={() => handlers.current.onRegenerate?.()}>
                  <Icon name="refresh" size={16} />
                </button>
              ) : null}
              {!mine && has.inspect && it.id !== null ? (
                <button type="button" className="icon-btn" aria-label={t('inspect.action')} title={t('inspect.action')} onClick={() => handlers.current.onInspect?.(it)}>
                  <Icon name="search" size={16} />
                </button>
              ) : null}
              {has.delete ? (
                <button type="button" className="icon-btn" aria-label={t('chat.deleteMessage')} title={t('chat.deleteMessage')} onClick={() => handlers.current.onDelete?.(it)}>
                  <Icon name="trash" size={16} />
                </button>
              ) : null}
            </div>
          ) : null}
        </div>
      </article>
  );
});

function EditBox({ initial, onSave, onSaveAndRegenerate, onCancel }: { initial: string; onSave: (text: string) => Promise<void>; onSaveAndRegenerate?: (text: string) => Promise<void>; onCancel: () => void }) {
  const [text, setText] = useState(initial);
  const [busy, setBusy] = useState(false);
  const { t } = useI18n();
  return (
    <form
      className="edit-box"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!text.trim()) return;
        setBusy(true);
        try {
          await onSave(text.trim());
        } catch {
          // the caller has shown the error; keep the editor open
        } finally {
          setBusy(false);
        }
      }}
    >
      <textarea aria-label={t('chat.editMessage')} value={text} onChange={(e) => setText(e.target.value)} autoFocus rows={3} onKeyDown={(e) => e.key === 'Escape' && onCancel()} />
      <div className="row end">
        <button type="button" className="btn btn-sm" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        {onSaveAndRegenerate ? (
          <button type="button" className="btn btn-sm" disabled={busy || !text.trim()} onClick={() => void onSaveAndRegenerate(text.trim())}>
            <Icon name="refresh" size={14} /> {t('chat.saveAndRegenerate')}
          </button>
        ) : null}
        <button type="submit" className="btn btn-primary btn-sm" disabled={busy || !text.trim()}>
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}

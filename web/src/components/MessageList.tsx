/**
 * The scrolling message list shared by one-to-one and group conversations.
 *
 * Scrolling rules: opening a conversation jumps to the newest message; while a reply streams the
 * list follows it only if the reader is already at the bottom; sending a message jumps to the
 * newest message wherever the reader was; older pages load when the reader
 * reaches the top (or presses the button), and the view stays on the message they were reading.
 */
import { memo, Suspense, useLayoutEffect, useMemo, useRef, useState, type ReactNode, type RefObject } from 'react';
import type { ChatItem } from '../lib/conversation.js';
import { useI18n } from '../i18n/index.js';
import { Avatar } from './Avatar.js';
import { Icon } from './Icon.js';
import { MarkdownWhenLoaded as Markdown } from './Markdown.js';

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

export function MessageList(props: MessageListProps) {
  const { items, loaded, hasOlder, loadingOlder, onLoadOlder, streaming, senderFor, onEdit, onDelete, onRegenerate, onEditAndRegenerate, onChooseAlternative, onInspect, metaFor, empty } = props;
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const prev = useRef<{ firstKey?: string; lastUserKey?: string; userCount: number; height: number; count: number }>({ height: 0, count: 0, userCount: 0 });
  const [editing, setEditing] = useState<string | null>(null);
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
  // Where the first message was on screen before older ones were put above it. Read during render,
  // while the DOM still shows the old list: off-screen messages have estimated heights
  // (content-visibility) that change as they are scrolled past, so a scrollHeight difference
  // taken at the last commit is stale and used to throw the reader to the top.
  const anchor = useRef<{ key: string; top: number } | null>(null);
  const oldFirst = prev.current.firstKey;
  if (ref.current && oldFirst && items[0]?.key !== oldFirst) {
    const el = ref.current.querySelector(`[data-key="${CSS.escape(oldFirst)}"]`);
    anchor.current = el ? { key: oldFirst, top: el.getBoundingClientRect().top } : null;
  }

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const firstKey = items[0]?.key;
    const p = prev.current;
    const tail = items.slice(-2);
    const lastUserKey = [...tail].reverse().find((it) => it.role === 'user')?.key;
    const userCount = items.reduce((n, it) => n + (it.role === 'user' ? 1 : 0), 0);
    // The reader just sent something (one more user message, at the end): show it and the reply.
    // (A stored copy replacing the local one changes the key, not the count; older pages change the count, not the tail.)
    if (lastUserKey && lastUserKey !== p.lastUserKey && userCount > p.userCount && p.count > 0) atBottom.current = true;
    const prepended = p.count > 0 && firstKey !== p.firstKey && items.some((it) => it.key === p.firstKey) && items[items.length - 1]?.key !== undefined;
    if (prepended && items.findIndex((it) => it.key === p.firstKey) > 0) {
      const a = anchor.current;
      const now = a ? el.querySelector(`[data-key="${CSS.escape(a.key)}"]`) : null;
      if (a && now) el.scrollTop += now.getBoundingClientRect().top - a.top;
      else el.scrollTop += el.scrollHeight - p.height;
    } else if (atBottom.current || p.count === 0) {
      el.scrollTop = el.scrollHeight;
    }
    prev.current = { firstKey, lastUserKey: lastUserKey ?? p.lastUserKey, userCount, height: el.scrollHeight, count: items.length };
    // A short first page does not fill the pane, so no scroll event would ever ask for more.
    // Nor would a reader left at the very top (no further scroll event there).
    if (hasOlder && !loadingOlder && (el.scrollHeight <= el.clientHeight + 4 || (prepended && el.scrollTop === 0))) onLoadOlder();
  });

  // The rows appear after the layout effect above ran (the renderer was still loading): follow them.
  const scrollToEndIfFollowing = () => {
    const el = ref.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  };

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (el.scrollTop < 60 && hasOlder && !loadingOlder) onLoadOlder();
  };

  const last = items[items.length - 1];
  // Only the last user message can be answered again (what follows it is its reply).
  const lastUser = [...items].reverse().find((it) => it.role === 'user');
  return (
    <div className={`messages ${loaded && items.length === 0 ? 'is-empty' : ''}`} ref={ref} onScroll={onScroll} role="log" aria-label={t('chat.messages')} aria-busy={streaming}>
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
      <Suspense fallback={loaded && items.length > 0 ? <div className="center muted">{t('app.loading')}</div> : null}>
      {items.map((it) => {
        const sender = senderFor(it);
        return (
          <MessageRow
            key={it.key}
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
        );
      })}
        <Revealed onReveal={scrollToEndIfFollowing} />
      </Suspense>
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
      <article key={it.key} data-key={it.key} className={`msg ${mine ? 'msg-user' : 'msg-bot'} ${it.status === 'error' ? 'msg-error' : ''}`} data-status={it.status} data-role={it.role}>
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
                <Markdown text={it.content} />
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

/**
 * The message input: Enter sends, Shift+Enter adds a line, Enter while an IME is composing
 * (Chinese input) does nothing; while a reply streams the send button becomes Stop.
 */
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/index.js';
import { PHONE_QUERY, useMediaQuery } from '../lib/media.js';
import { Icon } from './Icon.js';

export interface ComposerProps {
  onSend: (text: string) => void;
  onStop: () => void;
  streaming: boolean;
  disabled?: boolean;
  /** Extra controls left of the input (the manual-mode speaker picker). */
  extra?: ReactNode;
  /** Names offered after `@` (group chat: the members), picked with ↑ ↓ and Enter or Tab. */
  mentions?: readonly string[];
}

/** The `@name` being typed just before the caret, if any. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const m = /[@＠]([^\s@＠，。,.!?！？]*)$/u.exec(text.slice(0, caret));
  return m ? { start: caret - m[1].length - 1, query: m[1] } : null;
}

export function Composer({ onSend, onStop, streaming, disabled, extra, mentions }: ComposerProps) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  // Phones: the long placeholder (with the keyboard hint) does not fit.
  const narrow = useMediaQuery(PHONE_QUERY);
  const [caret, setCaret] = useState(0);
  const [picked, setPicked] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const at = mentions?.length ? mentionQuery(text, caret) : null;
  const options = at && dismissed !== at.start ? mentions!.filter((n) => n.toLowerCase().includes(at.query.toLowerCase())).slice(0, 8) : [];
  const active = Math.min(picked, Math.max(0, options.length - 1));
  const pick = (name: string) => {
    if (!at) return;
    const next = `${text.slice(0, at.start)}@${name} ${text.slice(caret)}`;
    const pos = at.start + name.length + 2;
    setText(next);
    setCaret(pos);
    setPicked(0);
    requestAnimationFrame(() => ref.current?.setSelectionRange(pos, pos));
  };

  // Grows with the text up to 200 px, then scrolls. Empty, it keeps its one-line CSS height (a
  // measured height would include the wrapped placeholder and jump after the first message).
  // Where CSS `field-sizing` exists the stylesheet does it; this measuring (three layouts per
  // keystroke, 200 ms a key in a long chat on a slow phone) is the fallback.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || FIELD_SIZING) return;
    el.style.height = '';
    el.style.overflowY = 'hidden';
    if (!text) return;
    const borders = el.offsetHeight - el.clientHeight;
    const wanted = el.scrollHeight + borders;
    if (wanted <= el.offsetHeight) return;
    el.style.height = `${Math.min(wanted, 200)}px`;
    if (wanted > 200) el.style.overflowY = 'auto';
  }, [text]);

  const send = () => {
    const v = text.trim();
    if (!v || streaming || disabled) return;
    onSend(v);
    setText('');
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {extra}
      {options.length ? (
        <ul className="mention-list" role="listbox" id="mention-list" aria-label={t('group.mentionList')}>
          {options.map((n, i) => (
            <li
              key={n}
              id={`mention-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'on' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(n);
              }}
            >
              @{n}
            </li>
          ))}
        </ul>
      ) : null}
      <textarea
        ref={ref}
        rows={1}
        value={text}
        aria-label={t('chat.input')}
        placeholder={narrow ? t('chat.placeholderShort') : t('chat.placeholder')}
        title={t('chat.placeholder')}
        disabled={disabled}
        // A textbox with a suggestion list (aria-expanded is not allowed on a textarea, which cannot be a combobox).
        aria-autocomplete={mentions?.length ? 'list' : undefined}
        aria-controls={options.length ? 'mention-list' : undefined}
        aria-activedescendant={options.length ? `mention-${active}` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          setCaret(e.target.selectionStart ?? e.target.value.length);
          setDismissed(null);
        }}
        onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
        onKeyDown={(e) => {
          if (options.length && !e.nativeEvent.isComposing) {
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              setPicked((active + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length);
              return;
            }
            if (e.key === 'Enter' || e.key === 'Tab') {
              e.preventDefault();
              pick(options[active]);
              return;
            }
            if (e.key === 'Escape') {
              e.preventDefault();
              setDismissed(at!.start);
              return;
            }
          }
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing && e.keyCode !== 229) {
            e.preventDefault();
            send();
          }
        }}
      />
      {streaming ? (
        <button type="button" className="btn btn-danger composer-btn" onClick={onStop} aria-label={t('chat.stop')}>
          <Icon name="stop" />
          <span className="hide-narrow">{t('chat.stop')}</span>
        </button>
      ) : (
        <button type="submit" className="btn btn-primary composer-btn" disabled={disabled || !text.trim()} aria-label={t('chat.send')}>
          <Icon name="send" />
          <span className="hide-narrow">{t('chat.send')}</span>
        </button>
      )}
    </form>
  );
}

const FIELD_SIZING = typeof CSS !== 'undefined' && typeof CSS.supports === 'function' && CSS.supports('field-sizing', 'content');


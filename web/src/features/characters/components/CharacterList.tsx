import { Avatar } from '../../../components/Avatar.js';
import { useI18n } from '../../../i18n/index.js';
import type { CharacterSummary, Id } from '../../../lib/types.js';

/** Sidebar rows of characters; the active one is marked with aria-current. */
export function CharacterList({ items, activeId, onSelect }: { items: CharacterSummary[]; activeId: Id | null; onSelect: (id: Id) => void }) {
  const { formatDate } = useI18n();
  return (
    <ul className="nav-list">
      {items.map((c) => {
        const active = activeId !== null && String(activeId) === String(c.id);
        return (
          <li key={c.id}>
            <button type="button" className={`nav-item ${active ? 'active' : ''}`} aria-current={active ? 'true' : undefined} onClick={() => onSelect(c.id)} title={c.biography || c.name}>
              <Avatar name={c.name} url={c.avatarUrl} size={38} />
              <span className="nav-text">
                <span className="nav-title">
                  <span className="ellipsis">{c.name}</span>
                  <time className="muted small">{formatDate(c.updatedAt)}</time>
                </span>
                {c.biography ? <span className="nav-sub clamp2">{c.biography}</span> : null}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

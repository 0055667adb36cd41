import { Avatar } from '../../../components/Avatar.js';
import { routePath } from '../../../lib/router.js';
import type { CharacterSummary, Id } from '../../../lib/types.js';
import { followLink } from '../../../lib/follow-link.js';
import { expandMacros } from '../../../../../src/shared/macros.js';

/**
 * Sidebar rows of characters, as links to their chats (so they open in a new tab too); the active
 * one is marked with aria-current. A row's accessible name is the character's name; the biography
 * is its description, hidden from the name (read from the row's text, the name would be the whole
 * biography; set with aria-labelledby, the visible text would not match the name).
 */
/** `username` fills `{{user}}` in an imported card's text (the stored text keeps the macro). */
export function CharacterList({ items, activeId, onSelect, username = 'User' }: { items: CharacterSummary[]; activeId: Id | null; onSelect: (id: Id) => void; username?: string }) {
  return (
    <ul className="nav-list">
      {items.map((c) => {
        const active = activeId !== null && String(activeId) === String(c.id);
        const bioId = `nav-c-${c.id}-bio`;
        return (
          <li key={c.id}>
            <a
              href={routePath({ view: 'character', id: String(c.id) })}
              className={`nav-item ${active ? 'active' : ''}`}
              aria-current={active ? 'page' : undefined}
              aria-describedby={c.biography ? bioId : undefined}
              onClick={(e) => followLink(e, () => onSelect(c.id))}
            >
              <Avatar name={c.name} url={c.avatarUrl} size={38} />
              <span className="nav-text">
                <span className="nav-title">
                  <span className="ellipsis" title={c.name}>
                    {c.name}
                  </span>
                </span>
                {c.biography ? (
                  <span className="nav-sub clamp2" id={bioId} aria-hidden="true">
                    {expandMacros(c.biography, { char: c.name, user: username })}
                  </span>
                ) : null}
              </span>
            </a>
          </li>
        );
      })}
    </ul>
  );
}

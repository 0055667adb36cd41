import { Avatar } from '../../../components/Avatar.js';
import { useI18n } from '../../../i18n/index.js';
import { followLink } from '../../../lib/follow-link.js';
import { routePath } from '../../../lib/router.js';
import type { Group, Id } from '../../../lib/types.js';

/** Sidebar rows of groups, as links to their chats: name, member count, the first members' faces. */
export function GroupList({ items, activeId, onSelect }: { items: Group[]; activeId: Id | null; onSelect: (id: Id) => void }) {
  const { t } = useI18n();
  return (
    <ul className="nav-list">
      {items.map((g) => {
        const active = activeId !== null && String(activeId) === String(g.id);
        return (
          <li key={g.id}>
            <a
              href={routePath({ view: 'group', id: String(g.id) })}
              className={`nav-item ${active ? 'active' : ''}`}
              aria-current={active ? 'page' : undefined}
              aria-describedby={`nav-g-${g.id}-sub`}
              onClick={(e) => followLink(e, () => onSelect(g.id))}
            >
              <span className="stacked-avatars" aria-hidden="true">
                {g.members.slice(0, 2).map((m) => (
                  <Avatar key={m.characterId} name={m.name} url={m.avatarUrl} size={26} />
                ))}
              </span>
              <span className="nav-text">
                <span className="nav-title">
                  <span className="ellipsis" title={g.name}>
                    {g.name}
                  </span>
                </span>
                {/* The description, not part of the row's name (see CharacterList). */}
                <span className="nav-sub ellipsis" id={`nav-g-${g.id}-sub`} aria-hidden="true">
                  {t('group.memberCount', { count: g.members.length })} · {g.members.map((m) => m.name).join('、')}
                </span>
              </span>
            </a>
          </li>
        );
      })}
    </ul>
  );
}

import { Avatar } from '../../../components/Avatar.js';
import { Icon } from '../../../components/Icon.js';
import { useI18n } from '../../../i18n/index.js';
import type { Group } from '../../../lib/types.js';
import { seg } from '../../../lib/api.js';
import { ChatModelSettings } from '../../../components/ChatModelSettings.js';

/** Right pane for a group: members, mode, rounds, and the manage button. */
export function GroupInfoPanel({ group, onManage }: { group: Group; onManage: () => void }) {
  const { t } = useI18n();
  return (
    <div className="info">
      <div className="info-head">
        <span className="stacked-avatars big" aria-hidden="true">
          {group.members.slice(0, 3).map((m) => (
            <Avatar key={m.characterId} name={m.name} url={m.avatarUrl} size={48} />
          ))}
        </span>
        <h2 className="info-name">{group.name}</h2>
        <button type="button" className="btn btn-sm" onClick={onManage}>
          <Icon name="settings" size={14} /> {t('group.manage')}
        </button>
      </div>
      <section className="info-sec">
        <dl className="kv">
          <div>
            <dt>{t('group.mode')}</dt>
            <dd>{t(`group.mode.${group.mode}`)}</dd>
          </div>
          <div>
            <dt>{t('group.maxRounds')}</dt>
            <dd>{group.maxRounds}</dd>
          </div>
        </dl>
      </section>
      <section className="info-sec">
        <h3>{t('group.info')}</h3>
        <ul className="member-list">
          {group.members.map((m) => (
            <li key={m.characterId} className="row">
              <Avatar name={m.name} url={m.avatarUrl} size={32} />
              <span className="ellipsis">{m.name}</span>
            </li>
          ))}
        </ul>
      </section>
      <section className="info-sec">
        <h3>{t('models.section')}</h3>
        <p className="muted small">{t('models.groupHint')}</p>
        <ChatModelSettings path={`/api/groups/${seg(group.id)}/llm`} />
      </section>
    </div>
  );
}

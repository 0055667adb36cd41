import type { ReactNode } from 'react';
import { Avatar } from '../../../components/Avatar.js';
import { Icon } from '../../../components/Icon.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import { seg } from '../../../lib/api.js';
import { ChatModelSettings } from '../../../components/ChatModelSettings.js';
import type { Group, GroupMember } from '../../../lib/types.js';
import { useGroupMember } from '../api/groups.js';

/** Mute lengths offered, in minutes. */
const MUTES = [10, 60, 24 * 60, 7 * 24 * 60] as const;

/** Right pane for a group: members (each can be muted for a while), mode, rounds, and the manage button. */
export function GroupInfoPanel({ group, onManage, extra }: { group: Group; onManage: () => void; extra?: ReactNode }) {
  const { t, locale } = useI18n();
  const toast = useToast();
  const member = useGroupMember(group.id);
  const now = Date.now();
  const mutedUntil = (m: GroupMember) => (m.mutedUntil != null && m.mutedUntil > now ? m.mutedUntil : null);
  const short = new Intl.DateTimeFormat(locale, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const time = (ms: number) => short.format(new Date(ms));
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
          {group.members.map((m) => {
            const until = mutedUntil(m);
            return (
              <li key={m.characterId} className="row">
                <Avatar name={m.name} url={m.avatarUrl} size={32} />
                <span className="ellipsis">
                  {m.name}
                  {until ? <span className="muted small"> · {t('group.mutedUntil', { time: time(until) })}</span> : null}
                </span>
                <select
                  className="mute-select"
                  aria-label={t('group.mute', { name: m.name })}
                  value=""
                  disabled={member.mute.isPending}
                  onChange={(e) => {
                    const v = e.target.value;
                    if (!v) return;
                    const untilMs = v === 'off' ? null : Date.now() + Number(v) * 60_000;
                    member.mute.mutate({ characterId: m.characterId, until: untilMs }, { onError: (err) => toast.error(err) });
                  }}
                >
                  <option value="">{until ? t('group.muted') : t('group.mute.pick')}</option>
                  {MUTES.map((min) => (
                    <option key={min} value={String(min)}>
                      {t(`group.mute.${min}` as 'group.mute.10')}
                    </option>
                  ))}
                  {until ? <option value="off">{t('group.unmute')}</option> : null}
                </select>
              </li>
            );
          })}
        </ul>
      </section>
      <section className="info-sec">
        <h3>{t('models.section')}</h3>
        <p className="muted small">{t('models.groupHint')}</p>
        <ChatModelSettings path={`/api/groups/${seg(group.id)}/llm`} />
      </section>
      {extra}
    </div>
  );
}

import { useI18n } from '../../../i18n/index.js';
import type { GroupMode } from '../../../lib/types.js';

export const MODES: GroupMode[] = ['natural', 'round_robin', 'everyone_once', 'manual'];

/** Mode and max-rounds controls, shared by the create and manage dialogs. */
export function ModeFields({ mode, maxRounds, onMode, onRounds }: { mode: GroupMode; maxRounds: number; onMode: (m: GroupMode) => void; onRounds: (n: number) => void }) {
  const { t } = useI18n();
  return (
    <div className="grid2">
      <label className="field">
        <span>{t('group.mode')}</span>
        <select value={mode} onChange={(e) => onMode(e.target.value as GroupMode)}>
          {MODES.map((m) => (
            <option key={m} value={m}>
              {t(`group.mode.${m}`)}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{t('group.maxRounds')}</span>
        <input type="number" min={1} max={10} value={maxRounds} onChange={(e) => onRounds(Math.max(1, Math.min(10, Number(e.target.value) || 1)))} />
      </label>
    </div>
  );
}

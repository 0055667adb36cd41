import { useState, type ReactNode } from 'react';
import { useI18n } from '../../../i18n/index.js';
import type { MessageKey } from '../../../i18n/index.js';
import { UsersPanel } from './UsersPanel.js';
import { PromptsPanel } from './PromptsPanel.js';
import { FeedbackPanel } from './FeedbackPanel.js';
import { UsagePanel } from './UsagePanel.js';
import { OperationsPanel } from './OperationsPanel.js';
import { EvaluationsPanel } from './EvaluationsPanel.js';
import { ProvidersPanel } from './ProvidersPanel.js';

const TABS = [
  ['users', 'console.users'],
  ['prompts', 'console.prompts'],
  ['evaluations', 'evals.tab'],
  ['feedback', 'console.feedback'],
  ['usage', 'console.usage'],
  ['providers', 'providers.tab'],
  ['operations', 'console.operations'],
] as const satisfies readonly (readonly [string, MessageKey])[];
type Tab = (typeof TABS)[number][0];

/** The operator's console: users, prompts, evaluations, feedback, usage, operations. */
export function AdminPage({ leading }: { leading?: ReactNode }) {
  const { t } = useI18n();
  const [tab, setTab] = useState<Tab>('users');
  return (
    <section className="conversation admin" aria-label={t('console.title')}>
      <header className="conv-head">
        {leading}
        <h1 className="conv-title">{t('console.title')}</h1>
      </header>
      <div className="admin-body">
        <div role="tablist" aria-label={t('console.title')} className="tabs" style={{ marginBottom: 12 }}>
          {TABS.map(([id, label]) => (
            <button key={id} type="button" role="tab" aria-selected={tab === id} className={`tab ${tab === id ? 'active' : ''}`} onClick={() => setTab(id)}>
              {t(label)}
            </button>
          ))}
        </div>
        {tab === 'users' ? <UsersPanel /> : tab === 'prompts' ? <PromptsPanel /> : tab === 'evaluations' ? <EvaluationsPanel /> : tab === 'feedback' ? <FeedbackPanel /> : tab === 'usage' ? <UsagePanel /> : tab === 'providers' ? <ProvidersPanel /> : <OperationsPanel />}
      </div>
    </section>
  );
}

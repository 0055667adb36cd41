import { useEffect, useState } from 'react';
import { useI18n } from '../../../i18n/index.js';
import { usePrices, useSavePrices, useUsage, type Price } from '../api/console.js';

const money = (n: number | null) => (n === null ? '—' : `$${n.toFixed(4)}`);

/** Tokens and estimated cost per user, model, purpose and day; the price table is edited here. */
export function UsagePanel() {
  const { t, errorText } = useI18n();
  const usage = useUsage();
  const prices = usePrices();
  const save = useSavePrices();
  const [rows, setRows] = useState<Price[]>([]);
  useEffect(() => setRows(prices.data?.items ?? []), [prices.data]);
  const set = (i: number, patch: Partial<Price>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div>
      {usage.error || save.error ? <p className="error-text">{errorText(usage.error ?? save.error)}</p> : null}
      <h3>{t('console.byModel')}</h3>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('console.model')}</th>
            <th scope="col">{t('console.requests')}</th>
            <th scope="col">{t('console.tokensIn')}</th>
            <th scope="col">{t('console.tokensOut')}</th>
            <th scope="col">{t('console.cost')}</th>
          </tr>
        </thead>
        <tbody>
          {usage.data?.byModel.map((m) => (
            <tr key={m.model}>
              <td>{m.model}</td>
              <td>{m.requests}</td>
              <td>{m.tokensIn}</td>
              <td>{m.tokensOut}</td>
              <td>{money(m.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('console.daily')}</h3>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('console.day')}</th>
            <th scope="col">{t('admin.username')}</th>
            <th scope="col">{t('console.model')}</th>
            <th scope="col">{t('console.purpose')}</th>
            <th scope="col">{t('console.tokensIn')}</th>
            <th scope="col">{t('console.tokensOut')}</th>
            <th scope="col">{t('console.cost')}</th>
          </tr>
        </thead>
        <tbody>
          {usage.data?.items.map((r) => (
            <tr key={`${r.day}|${r.userId}|${r.model}|${r.purpose}`}>
              <td>{r.day}</td>
              <td>{r.username}</td>
              <td>{r.model}</td>
              <td>{r.purpose}</td>
              <td>{r.tokensIn}</td>
              <td>{r.tokensOut}</td>
              <td>{money(r.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('console.prices')}</h3>
      {rows.map((r, i) => (
        <div key={i} className="row" style={{ gap: 8, marginBottom: 4 }}>
          <input aria-label={t('console.model')} value={r.model} onChange={(e) => set(i, { model: e.target.value })} />
          <input aria-label={t('console.inputPrice')} type="number" min={0} step="0.01" value={r.inputPerMillion} onChange={(e) => set(i, { inputPerMillion: Number(e.target.value) })} />
          <input aria-label={t('console.outputPrice')} type="number" min={0} step="0.01" value={r.outputPerMillion} onChange={(e) => set(i, { outputPerMillion: Number(e.target.value) })} />
          <button type="button" className="btn btn-sm btn-ghost" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
            {t('common.delete')}
          </button>
        </div>
      ))}
      <div className="row" style={{ gap: 8 }}>
        <button type="button" className="btn btn-sm" onClick={() => setRows([...rows, { model: '', inputPerMillion: 0, outputPerMillion: 0 }])}>
          {t('console.addPrice')}
        </button>
        <button type="button" className="btn btn-sm btn-primary" disabled={save.isPending || rows.some((r) => !r.model.trim())} onClick={() => save.mutate(rows)}>
          {t('common.save')}
        </button>
      </div>
      <p className="muted small">{t('console.priceHint')}</p>
    </div>
  );
}

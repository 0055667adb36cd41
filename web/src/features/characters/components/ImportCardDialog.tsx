import { useState } from 'react';
import { Modal } from '../../../components/Modal.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { Id } from '../../../lib/types.js';
import { useImportCard } from '../api/import-card.js';

/** Drop (or choose) a Character Card V2/V3 as PNG or JSON; the new character is selected. */
export function ImportCardDialog({ onClose, onImported }: { onClose: () => void; onImported: (id: Id) => void }) {
  const { t, errorText } = useI18n();
  const toast = useToast();
  const [over, setOver] = useState(false);
  const imp = useImportCard();

  const take = (f: File | undefined) => {
    if (!f) return;
    if (!/\.(png|json)$/i.test(f.name) && !['image/png', 'application/json'].includes(f.type)) {
      toast.info(t('import.badType'));
      return;
    }
    imp.mutate(f, {
      onSuccess: (c) => {
        toast.success(t('import.done', { name: c.name }));
        onImported(c.id);
        onClose();
      },
    });
  };

  return (
    <Modal title={t('import.title')} onClose={onClose}>
      <div
        className={`dropzone ${over ? 'over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          take(e.dataTransfer.files[0]);
        }}
      >
        <p>{imp.isPending ? t('import.importing') : t('import.drop')}</p>
        <label className="btn">
          {t('import.choose')}
          <input type="file" accept=".png,.json,image/png,application/json" className="visually-hidden" onChange={(e) => take(e.target.files?.[0])} />
        </label>
        {imp.error ? (
          <p className="error-text" role="alert">
            {errorText(imp.error)}
          </p>
        ) : null}
      </div>
    </Modal>
  );
}

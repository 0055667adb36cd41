import { useCallback, useState } from 'react';
import { ImageCropper, type CropBox } from '../../../components/ImageCropper.js';
import { Modal } from '../../../components/Modal.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { Id } from '../../../lib/types.js';
import { useUploadAvatar } from '../api/upload-avatar.js';

/** Choose an image, crop it square, upload the original with the crop box. */
export function AvatarDialog({ characterId, onClose }: { characterId: Id; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const toast = useToast();
  const [file, setFile] = useState<File | null>(null);
  const [box, setBox] = useState<CropBox | null>(null);
  const upload = useUploadAvatar(characterId);
  const onChange = useCallback((b: CropBox | null) => setBox(b), []);

  return (
    <Modal
      title={t('avatar.title')}
      onClose={onClose}
      dismissable={false}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={!file || !box || upload.isPending}
            onClick={() =>
              file &&
              upload.mutate(
                { file, crop: box },
                {
                  onSuccess: () => {
                    toast.success(t('avatar.done'));
                    onClose();
                  },
                },
              )
            }
          >
            {t('avatar.upload')}
          </button>
        </>
      }
    >
      <div className="stack center-items">
        <label className="btn file-btn">
          {t('avatar.choose')}
          <input
            type="file"
            accept="image/png,image/jpeg,image/webp,image/gif"
            className="visually-hidden"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (!f) return;
              if (!f.type.startsWith('image/')) return toast.info(t('avatar.notImage'));
              upload.reset();
              setBox(null);
              setFile(f);
            }}
          />
        </label>
        {file ? <ImageCropper key={`${file.name}:${file.size}:${file.lastModified}`} file={file} onChange={onChange} /> : null}
        {upload.error ? (
          <p className="error-text" role="alert">
            {errorText(upload.error)}
          </p>
        ) : null}
      </div>
    </Modal>
  );
}

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';
import type { Id } from '../../../lib/types.js';
import { characterKeys } from './keys.js';

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Multipart: the original file plus the crop box in its pixels; the server crops and re-encodes. */
export function uploadAvatar(id: Id, file: File, crop: CropBox | null) {
  const fd = new FormData();
  if (crop) {
    fd.set('cropX', String(crop.x));
    fd.set('cropY', String(crop.y));
    fd.set('cropWidth', String(crop.width));
    fd.set('cropHeight', String(crop.height));
  }
  // Fields before the file: a streaming multipart parser sees them first.
  fd.set('file', file, file.name);
  return api.put<{ avatarUrl: string }>(`/api/characters/${seg(id)}/avatar`, fd);
}

export function useUploadAvatar(id: Id) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { file: File; crop: CropBox | null }) => uploadAvatar(id, v.file, v.crop),
    meta: { silent: true }, // the dialog shows the error
    onSuccess: () => qc.invalidateQueries({ queryKey: characterKeys.all }),
  });
}

/** Lorebooks: standalone books (list, import, export, attach) and the entries of any book, a character's own included. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, qs, seg } from '../../../lib/api.js';
import type { Id } from '../../../lib/types.js';
import type { EntryView } from '../../../../../src/features/lorebooks/book.js';

export type { SelectiveLogic } from '../../../../../src/features/lorebooks/book.js';
/** An entry as the server shows it, whatever the book's format (types only: the browser build reads the server's). */
export type LoreEntry = EntryView;

export type EntryPatch = Partial<Omit<LoreEntry, 'key'>>;

export interface LorebookSummary {
  id: Id;
  name: string;
  format: 'world_info' | 'character_book';
  entryCount: number;
  characterIds: Id[];
  groupIds: Id[];
  createdAt: number;
  updatedAt: number;
}

export interface Lorebook extends LorebookSummary {
  entries: LoreEntry[];
}

/** Which book the entry editor changes: a standalone one, or a character's own (its card's character_book). */
export type BookRef = { kind: 'standalone'; id: Id } | { kind: 'character'; id: Id };

export const loreKeys = {
  all: ['lorebooks'] as const,
  list: () => ['lorebooks', 'list'] as const,
  detail: (id: Id) => ['lorebooks', 'detail', String(id)] as const,
  own: (characterId: Id) => ['lorebooks', 'own', String(characterId)] as const,
};

const bookBase = (ref: BookRef) => (ref.kind === 'standalone' ? `/api/lorebooks/${seg(ref.id)}` : `/api/characters/${seg(ref.id)}/lorebook`);

export const getLorebooks = (q?: string) => api.get<{ items: LorebookSummary[] }>(`/api/lorebooks${qs({ q: q || null })}`).then((r) => r.items);
export const getLorebook = (id: Id) => api.get<Lorebook>(`/api/lorebooks/${seg(id)}`);
export const getOwnLorebook = (characterId: Id) => api.get<{ characterId: Id; exists: boolean; entries: LoreEntry[] }>(`/api/characters/${seg(characterId)}/lorebook`);
export const lorebookExportUrl = (id: Id) => `/api/lorebooks/${seg(id)}/export`;

export function useLorebooks() {
  return useQuery({ queryKey: loreKeys.list(), queryFn: () => getLorebooks() });
}

export function useLorebook(id: Id) {
  return useQuery({ queryKey: loreKeys.detail(id), queryFn: () => getLorebook(id) });
}

export function useOwnLorebook(characterId: Id) {
  return useQuery({ queryKey: loreKeys.own(characterId), queryFn: () => getOwnLorebook(characterId) });
}

/** The entries of a book (standalone or a character's own), with add/edit/delete that refresh it. */
export function useBookEntries(ref: BookRef) {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: loreKeys.all });
  const base = bookBase(ref);
  return {
    add: useMutation({ mutationFn: (patch: EntryPatch) => api.post<LoreEntry>(`${base}/entries`, patch), onSuccess: done }),
    update: useMutation({ mutationFn: ({ key, patch }: { key: string; patch: EntryPatch }) => api.patch<LoreEntry>(`${base}/entries/${seg(key)}`, patch), onSuccess: done }),
    remove: useMutation({ mutationFn: (key: string) => api.del(`${base}/entries/${seg(key)}`), onSuccess: done }),
  };
}

export function useLorebookActions() {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: loreKeys.all });
  return {
    import: useMutation({ mutationFn: (b: { content: string; name?: string }) => api.post<Lorebook>('/api/lorebooks/import', b), onSuccess: done, meta: { silent: true } }),
    create: useMutation({ mutationFn: (name: string) => api.post<Lorebook>('/api/lorebooks', { name }), onSuccess: done }),
    rename: useMutation({ mutationFn: ({ id, name }: { id: Id; name: string }) => api.patch<Lorebook>(`/api/lorebooks/${seg(id)}`, { name }), onSuccess: done }),
    remove: useMutation({ mutationFn: (id: Id) => api.del(`/api/lorebooks/${seg(id)}`), onSuccess: done }),
    /** Attaches (on) or detaches (off) a book to one of the user's characters or groups. */
    attach: useMutation({
      mutationFn: ({ id, kind, targetId, on }: { id: Id; kind: 'characters' | 'groups'; targetId: Id; on: boolean }) =>
        on ? api.put(`/api/lorebooks/${seg(id)}/${kind}/${seg(targetId)}`) : api.del(`/api/lorebooks/${seg(id)}/${kind}/${seg(targetId)}`),
      onSuccess: done,
    }),
  };
}

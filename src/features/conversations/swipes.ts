/**
 * Regenerating a reply while keeping the earlier versions as swipes (migration 0005): the old
 * reply leaves the history while the new one is written, then comes back as an alternative of it.
 * A failed regeneration loses nothing.
 */
import type { Db } from '../../infra/db/index.js';
import * as conversations from './store.js';
import type { Message } from './store.js';

/**
 * Replaces `old` (the conversation's newest reply) with what `generate` stores, the earlier
 * versions kept as alternatives; the new one is shown.
 */
export async function regenerateKeepingVersions(db: Db, conversationId: number, old: Message, generate: () => Promise<Message>, now: () => number): Promise<Message> {
  const previous = (await conversations.findAlternatives(db, conversationId, old.id)) ?? [old.content];
  await conversations.deleteMessage(db, conversationId, old.id);
  try {
    const fresh = await generate();
    const versions = [...previous, fresh.content];
    return (await conversations.setAlternatives(db, conversationId, fresh.id, versions, versions.length - 1)) ?? fresh;
  } catch (err) {
    await restoreVersions(db, conversationId, old, previous, now);
    throw err;
  }
}

/** After a failed regenerate: the versions return on the interrupted reply (if part of one came), or as the reply again. */
export async function restoreVersions(db: Db, conversationId: number, old: Message, previous: string[], now: () => number): Promise<void> {
  const newest = await conversations.lastMessage(db, conversationId);
  if (newest && newest.role === 'assistant' && newest.id > old.id) {
    const versions = [...previous, newest.content];
    await conversations.setAlternatives(db, conversationId, newest.id, versions, versions.length - 1);
    return;
  }
  const back = await conversations.insertMessage(db, { conversationId, role: 'assistant', content: old.content, characterId: old.characterId, status: old.status, now: now() });
  await conversations.setAlternatives(db, conversationId, back.id, previous, old.alternatives?.index ?? previous.length - 1);
}

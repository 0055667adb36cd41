/** Read-only review of any user's characters, chats and groups; each read is written to the audit log. */
import { notFound } from '../../errors.js';
import type { Db } from '../../infra/db/index.js';
import type { AuditLog } from './audit.js';

export function createReview(deps: { db: Db; audit: AuditLog }) {
  const { db, audit } = deps;

  async function username(userId: number) {
    const u = await db.selectFrom('users').select('username').where('id', '=', userId).executeTakeFirst();
    if (!u) throw notFound('user');
    return u.username;
  }

  return {
    /** Everything a user owns, as lists (no message content). */
    async overview(actorId: number, userId: number) {
      const name = await username(userId);
      const [characters, groups, conversations] = await Promise.all([
        db.selectFrom('characters').select(['id', 'name', 'biography', 'source', 'created_at']).where('user_id', '=', userId).orderBy('id', 'desc').limit(500).execute(),
        db.selectFrom('groups').select(['id', 'name', 'created_at']).where('user_id', '=', userId).orderBy('id', 'desc').limit(500).execute(),
        db
          .selectFrom('conversations')
          .leftJoin('characters', 'characters.id', 'conversations.character_id')
          .leftJoin('groups', 'groups.id', 'conversations.group_id')
          .select(['conversations.id', 'conversations.kind', 'conversations.title', 'conversations.updated_at', 'characters.name as characterName', 'groups.name as groupName'])
          .select((eb) => eb.selectFrom('messages').select((m) => m.fn.countAll<number>().as('n')).whereRef('messages.conversation_id', '=', 'conversations.id').as('messageCount'))
          .where('conversations.user_id', '=', userId)
          .orderBy('conversations.updated_at', 'desc')
          .limit(500)
          .execute(),
      ]);
      await audit.record(actorId, 'review.user', userId, name);
      return {
        user: { id: userId, username: name },
        characters: characters.map((c) => ({ id: c.id, name: c.name, biography: c.biography, source: c.source, createdAt: c.created_at })),
        groups: groups.map((g) => ({ id: g.id, name: g.name, createdAt: g.created_at })),
        // A character has several chats: its name, then the chat's own title.
        conversations: conversations.map((c) => ({ id: c.id, kind: c.kind, title: [c.characterName ?? c.groupName ?? '', c.title].filter(Boolean).join(' · '), messageCount: Number(c.messageCount ?? 0), updatedAt: c.updated_at })),
      };
    },

    /** One conversation's messages, oldest first (read-only). */
    async conversation(actorId: number, conversationId: number) {
      const conv = await db.selectFrom('conversations').select(['id', 'user_id', 'kind']).where('id', '=', conversationId).executeTakeFirst();
      if (!conv) throw notFound('conversation');
      const messages = await db
        .selectFrom('messages')
        .leftJoin('characters', 'characters.id', 'messages.character_id')
        .select(['messages.id', 'messages.role', 'messages.content', 'messages.status', 'messages.created_at', 'characters.name'])
        .where('messages.conversation_id', '=', conversationId)
        .orderBy('messages.id', 'desc')
        .limit(500)
        .execute();
      await audit.record(actorId, 'review.conversation', conv.user_id, `conversation ${conversationId}`);
      return {
        id: conv.id,
        userId: conv.user_id,
        kind: conv.kind,
        messages: messages.reverse().map((m) => ({ id: m.id, role: m.role, speaker: m.name, content: m.content, status: m.status, createdAt: m.created_at })),
      };
    },
  };
}

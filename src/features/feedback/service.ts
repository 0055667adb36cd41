/**
 * Feedback: a user writes (optionally about one of their messages or characters) and reads their
 * history with replies; an administrator lists by status, replies and moves it along. A reply the
 * user has not opened yet counts toward their badge.
 */
import { AppError, notFound } from '../../errors.js';
import type { Db } from '../../infra/db/index.js';

export const FEEDBACK_STATUSES = ['new', 'in_progress', 'resolved', 'closed'] as const;
export const FEEDBACK_CATEGORIES = ['bug', 'suggestion', 'character', 'reply_quality', 'other'] as const;
export type FeedbackStatus = (typeof FEEDBACK_STATUSES)[number];
export type FeedbackCategory = (typeof FEEDBACK_CATEGORIES)[number];

export interface Feedback {
  id: number;
  userId: number;
  username: string;
  category: string;
  title: string;
  content: string;
  status: string;
  messageId: number | null;
  characterId: number | null;
  reply: string | null;
  repliedAt: number | null;
  unreadReply: boolean;
  createdAt: number;
  updatedAt: number;
}

export function createFeedbackService(deps: { db: Db; now?: () => number }) {
  const { db } = deps;
  const now = deps.now ?? Date.now;

  const select = () =>
    db
      .selectFrom('feedback')
      .innerJoin('users', 'users.id', 'feedback.user_id')
      .select(['feedback.id', 'feedback.user_id', 'users.username', 'feedback.category', 'feedback.title', 'feedback.content', 'feedback.status', 'feedback.message_id', 'feedback.character_id', 'feedback.admin_reply', 'feedback.replied_at', 'feedback.reply_seen_at', 'feedback.created_at', 'feedback.updated_at']);
  type Row = Awaited<ReturnType<ReturnType<typeof select>['executeTakeFirstOrThrow']>>;
  const toFeedback = (r: Row): Feedback => ({
    id: r.id,
    userId: r.user_id,
    username: r.username,
    category: r.category,
    title: r.title,
    content: r.content,
    status: r.status,
    messageId: r.message_id,
    characterId: r.character_id,
    reply: r.admin_reply,
    repliedAt: r.replied_at,
    unreadReply: r.replied_at !== null && (r.reply_seen_at === null || r.reply_seen_at < r.replied_at),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  async function get(id: number): Promise<Feedback> {
    const r = await select().where('feedback.id', '=', id).executeTakeFirst();
    if (!r) throw notFound('feedback');
    return toFeedback(r);
  }

  /** The message or character must be the user's own: feedback never reveals someone else's. */
  async function assertOwned(userId: number, input: { messageId?: number; characterId?: number }) {
    if (input.characterId !== undefined) {
      const c = await db.selectFrom('characters').select('id').where('id', '=', input.characterId).where('user_id', '=', userId).executeTakeFirst();
      if (!c) throw notFound('character');
    }
    if (input.messageId !== undefined) {
      const m = await db.selectFrom('messages').innerJoin('conversations', 'conversations.id', 'messages.conversation_id').select('messages.id').where('messages.id', '=', input.messageId).where('conversations.user_id', '=', userId).executeTakeFirst();
      if (!m) throw notFound('message');
    }
  }

  return {
    async submit(userId: number, input: { category: FeedbackCategory; content: string; title?: string; messageId?: number; characterId?: number }): Promise<Feedback> {
      await assertOwned(userId, input);
      const content = input.content.trim();
      if (!content) throw new AppError('validation:feedback', 'Write what the feedback is about');
      const title = input.title?.trim() || content.split('\n')[0].slice(0, 80);
      const t = now();
      const r = await db
        .insertInto('feedback')
        .values({ user_id: userId, category: input.category, title, content, status: 'new', message_id: input.messageId ?? null, character_id: input.characterId ?? null, admin_reply: null, replied_at: null, reply_seen_at: null, created_at: t, updated_at: t })
        .returning('id')
        .executeTakeFirstOrThrow();
      return get(r.id);
    },

    /** The user's history, newest first, with how many replies they have not opened. */
    async mine(userId: number): Promise<{ items: Feedback[]; unread: number }> {
      const items = (await select().where('feedback.user_id', '=', userId).orderBy('feedback.id', 'desc').limit(200).execute()).map(toFeedback);
      return { items, unread: items.filter((f) => f.unreadReply).length };
    },

    async markRead(userId: number, id: number): Promise<void> {
      const r = await db.updateTable('feedback').set({ reply_seen_at: now() }).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
      if (!Number(r.numUpdatedRows)) throw notFound('feedback');
    },

    async list(filter: { status?: FeedbackStatus; limit: number; offset: number }): Promise<{ items: Feedback[]; total: number; byStatus: Record<string, number> }> {
      let q = select();
      if (filter.status) q = q.where('feedback.status', '=', filter.status);
      const [rows, counts] = await Promise.all([
        q.orderBy('feedback.id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
        db.selectFrom('feedback').select(['status']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('status').execute(),
      ]);
      const byStatus = Object.fromEntries(FEEDBACK_STATUSES.map((s) => [s, 0]));
      for (const c of counts) byStatus[c.status === 'open' ? 'new' : c.status] = (byStatus[c.status] ?? 0) + Number(c.n);
      const total = filter.status ? byStatus[filter.status] : Object.values(byStatus).reduce((a, b) => a + b, 0);
      return { items: rows.map(toFeedback), total, byStatus };
    },

    /** Reply and/or move to another status. A new reply shows as unread to the user. */
    async update(id: number, change: { status?: FeedbackStatus; reply?: string }): Promise<Feedback> {
      await get(id);
      const t = now();
      const reply = change.reply?.trim();
      await db
        .updateTable('feedback')
        .set({
          updated_at: t,
          ...(change.status ? { status: change.status } : {}),
          ...(reply ? { admin_reply: reply, replied_at: t } : {}),
        })
        .where('id', '=', id)
        .execute();
      return get(id);
    },
  };
}

export type FeedbackService = ReturnType<typeof createFeedbackService>;

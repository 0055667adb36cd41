/** Reading inspection records: the owner of a message, or an administrator (audited). */
import { notFound } from '../../errors.js';
import type { Db } from '../../infra/db/index.js';
import type { AuditLog } from '../admin/audit.js';
import type { StoredReason } from '../groups/store.js';
import type { DecisionRecord, InspectionRecord } from './recorder.js';

export function createInspectionReader(deps: { db: Db; audit: AuditLog; /** Writes records still queued (a read right after a turn sees it). */ flush?: () => Promise<void> }) {
  const { db } = deps;

  /** Group turns: why the speaker was chosen, and the moderator's call that led here (prompt text from its part). */
  async function groupView(row: { speaker_reason: string | null; decision_json: string | null }) {
    const out: { speakerReason?: StoredReason; moderator?: Omit<DecisionRecord, 'v' | 'promptHash'> & { prompt: string } } = {};
    if (row.speaker_reason) out.speakerReason = JSON.parse(row.speaker_reason) as StoredReason;
    if (row.decision_json) {
      const { v: _v, promptHash, ...decision } = JSON.parse(row.decision_json) as DecisionRecord;
      const part = await db.selectFrom('prompt_parts').select('content').where('hash', '=', promptHash).executeTakeFirst();
      out.moderator = { ...decision, raw: decision.raw ?? [], prompt: part?.content ?? '' };
    }
    return out;
  }

  async function read(messageId: number, ownerId?: number) {
    await deps.flush?.();
    let q = db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .leftJoin('message_inspections', 'message_inspections.message_id', 'messages.id')
      .leftJoin('moderator_decisions', 'moderator_decisions.message_id', 'messages.id')
      .select(['messages.id', 'messages.role', 'messages.created_at', 'messages.speaker_reason', 'conversations.user_id', 'conversations.kind', 'message_inspections.record_json', 'moderator_decisions.record_json as decision_json'])
      .where('messages.id', '=', messageId);
    if (ownerId !== undefined) q = q.where('conversations.user_id', '=', ownerId);
    const row = await q.executeTakeFirst();
    if (!row) throw notFound('message');
    const group = await groupView(row);
    if (!row.record_json) return { row, view: { messageId, recorded: false as const, ...group } };
    const record = JSON.parse(row.record_json) as InspectionRecord;
    const hashes = [...new Set(record.parts.map((p) => p.hash))];
    const stored = hashes.length ? await db.selectFrom('prompt_parts').select(['hash', 'content']).where('hash', 'in', hashes).execute() : [];
    const text = new Map(stored.map((p) => [p.hash, p.content]));
    const versionIds = Object.values(record.promptVersions);
    const versions = versionIds.length
      ? await db.selectFrom('prompt_versions').innerJoin('prompt_templates', 'prompt_templates.id', 'prompt_versions.template_id').select(['prompt_versions.id', 'prompt_versions.version', 'prompt_templates.key']).where('prompt_versions.id', 'in', versionIds).execute()
      : [];
    return {
      row,
      view: {
        messageId,
        recorded: true as const,
        model: record.model,
        params: record.params,
        usage: record.usage,
        latencyMs: record.latencyMs,
        lore: record.lore ?? [],
        promptVersions: versions.map((v) => ({ key: v.key, versionId: v.id, version: v.version })).sort((a, b) => a.key.localeCompare(b.key)),
        messages: record.parts.map((p) => ({ role: p.role, hash: p.hash, content: text.get(p.hash) ?? '' })),
        ...group,
      },
    };
  }

  return {
    mine: async (userId: number, messageId: number) => (await read(messageId, userId)).view,
    async asAdmin(actorId: number, messageId: number) {
      const { row, view } = await read(messageId);
      await deps.audit.record(actorId, 'inspect.message', row.user_id, `message ${messageId}`);
      return view;
    },
  };
}

/**
 * The end of every fault scenario: what the database holds against what the clients saw.
 *   - a message whose stream opened is stored exactly once, followed by a reply or carrying an
 *     explicit failure mark (a status other than `complete`);
 *   - a refused or rejected message (429/503/409/4xx) is not stored at all;
 *   - a message that got no answer (server gone) is stored at most once;
 *   - no job is left queued or running.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { TurnOutcome } from './chat-load.js';

interface Row {
  id: number;
  conversation_id: number;
  role: string;
  content: string;
  status: string;
}

export type DbTarget = { sqliteFile: string } | { pgUrl: string };

async function query<T>(target: DbTarget, sql: string): Promise<T[]> {
  if ('sqliteFile' in target) {
    const db = new Database(target.sqliteFile, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: target.pgUrl });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

export interface DbCheck {
  messagesChecked: number;
  problems: string[];
}

export async function checkMessages(target: DbTarget, runId: string, outcomes: TurnOutcome[]): Promise<DbCheck> {
  const rows = (await query<Row>(target, 'SELECT id, conversation_id, role, content, status FROM messages ORDER BY conversation_id, id')).map((r) => ({ ...r, id: Number(r.id), conversation_id: Number(r.conversation_id) }));
  const byContent = new Map<string, Row[]>();
  const nextOf = new Map<number, Row | undefined>();
  rows.forEach((r, i) => {
    if (r.role === 'user' && r.content.startsWith(`chaos:${runId}:`)) byContent.set(r.content, [...(byContent.get(r.content) ?? []), r]);
    const n = rows[i + 1];
    nextOf.set(r.id, n && n.conversation_id === r.conversation_id ? n : undefined);
  });
  const problems: string[] = [];
  const counts = { unstored: 0, duplicated: 0, unanswered: 0, storedRefused: 0 };
  let checked = 0;
  for (const o of outcomes) {
    const stored = byContent.get(o.content) ?? [];
    if (o.accepted) {
      checked++;
      if (stored.length === 0) counts.unstored++;
      else if (stored.length > 1) counts.duplicated++;
      else {
        const m = stored[0]!;
        const next = nextOf.get(m.id);
        if (next?.role !== 'assistant' && m.status === 'complete') counts.unanswered++;
      }
    } else if (o.kind === 'unreachable') {
      if (stored.length > 1) counts.duplicated++;
    } else {
      checked++;
      if (stored.length) counts.storedRefused++;
    }
  }
  if (counts.unstored) problems.push(`${counts.unstored} accepted message(s) not stored`);
  if (counts.duplicated) problems.push(`${counts.duplicated} message(s) stored twice`);
  if (counts.unanswered) problems.push(`${counts.unanswered} accepted message(s) stored with neither a reply nor a failure mark`);
  if (counts.storedRefused) problems.push(`${counts.storedRefused} refused message(s) stored anyway`);
  return { messagesChecked: checked, problems };
}

export async function stuckJobs(target: DbTarget): Promise<number> {
  const [r] = await query<{ n: number | string }>(target, "SELECT count(*) AS n FROM jobs WHERE state IN ('queued', 'running')");
  return Number(r?.n ?? 0);
}

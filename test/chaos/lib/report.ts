/**
 * The campaign's table (issue 11): one row per check — requests, 5xx, leaks, failed turns, time to
 * recover, messages checked. Each test file records its rows as JSON under test-output/chaos/;
 * the markdown report (test-output/chaos-report.md) is rebuilt from all of them on every record.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OUTPUT_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'test-output');
export const ROWS_DIR = join(OUTPUT_DIR, 'chaos');
export const REPORT_FILE = join(OUTPUT_DIR, 'chaos-report.md');

export interface ReportRow {
  check: string;
  /** sqlite | postgres | scaled … */
  backend: string;
  requests: number;
  fiveXx: number;
  /** Another user's data, a stack trace or SQL text in a body; something stored that must not be. */
  leaks: number;
  failedTurns?: number;
  /** Fault removed → every user chats again. */
  recoverMs?: number;
  messagesChecked?: number;
  /** What failed, briefly (empty when the check passed). */
  problems: string[];
}

export function recordRows(file: string, rows: ReportRow[]): void {
  mkdirSync(ROWS_DIR, { recursive: true });
  writeFileSync(join(ROWS_DIR, `${file}.json`), JSON.stringify({ at: new Date().toISOString(), rows }, null, 2));
  writeFileSync(REPORT_FILE, renderReport());
}

export function renderReport(): string {
  let files: string[] = [];
  try {
    files = readdirSync(ROWS_DIR).filter((f) => f.endsWith('.json')).sort();
  } catch {
    /* nothing recorded yet */
  }
  const rows = files.flatMap((f) => (JSON.parse(readFileSync(join(ROWS_DIR, f), 'utf8')) as { rows: ReportRow[] }).rows);
  const cell = (v: number | undefined) => (v === undefined ? '–' : String(v));
  const lines = [
    '# Chaos campaign (issue 11)',
    '',
    `Generated ${new Date().toISOString()} by \`npm run chaos\` (full) or \`npm test\` (short).`,
    '',
    '| check | backend | requests | 5xx | leaks | failed turns | time to recover | messages checked | result |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.check} | ${r.backend} | ${r.requests} | ${r.fiveXx} | ${r.leaks} | ${cell(r.failedTurns)} | ${r.recoverMs === undefined ? '–' : `${(r.recoverMs / 1000).toFixed(1)} s`} | ${cell(r.messagesChecked)} | ${r.problems.length ? `FAIL: ${r.problems.slice(0, 4).join('; ').replace(/\|/g, '\\|')}${r.problems.length > 4 ? ` (+${r.problems.length - 4} more)` : ''}` : 'pass'} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

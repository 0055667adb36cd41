/**
 * Runs SQLite WAL checkpoints on a worker thread with its own connection. A checkpoint copies
 * the WAL into the database and syncs it to disk; done by the main connection it would stall the
 * event loop (and every stream) for as long as the disk takes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const conn = new SQLite(file);
conn.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    // PASSIVE never blocks the writer; it copies what it can and tries again next time.
    conn.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    /* busy or closing: the next tick retries */
  }
}, intervalMs);
parentPort?.on('message', (m) => {
  if (m === 'close') {
    clearInterval(timer);
    conn.close();
    process.exit(0);
  }
});

/**
 * `fastnpc create <name>`: runs a creation job in this process against the configured database
 * and LLM, drawing a progress bar on stderr and printing the new character's id on stdout.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Config } from './config.js';
import { buildCore, cliLog } from './core.js';
import { isAppError } from './errors.js';
import { CREATE_USAGE } from './cli-usage.js';
import { decodeUpload } from './features/sources/text.js';
import type { Job } from './features/creation/store.js';
import { findUserForLogin } from './features/users/store.js';
import { usernameKey } from './features/users/username.js';

const STEP_LABEL: Record<string, string> = {
  queued: 'queued',
  fetching: 'fetching the page',
  structuring: 'structuring the profile',
  writing_biography: 'writing the biography',
  saving: 'saving',
  done: 'done',
};

function bar(job: Job): string {
  const { step, done, total } = job.progress;
  const weights: Record<string, number> = { queued: 0, fetching: 0.05, structuring: 0.1, writing_biography: 0.85, saving: 0.95, done: 1 };
  const fraction = step === 'structuring' && total ? 0.1 + 0.75 * (done / total) : (weights[step] ?? 0);
  const width = 30;
  const filled = Math.round(fraction * width);
  const detail = step === 'structuring' ? ` ${done}/${total}` : '';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${STEP_LABEL[step] ?? step}${detail}`;
}

export async function runCreate(config: Config, args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        source: { type: 'string', default: 'baike' },
        file: { type: 'string' },
        candidate: { type: 'string' },
        detail: { type: 'string', default: 'concise' },
        user: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nUsage: fastnpc ${CREATE_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`Usage: fastnpc ${CREATE_USAGE}`);
    return 0;
  }
  const name = positionals.join(' ').trim();
  const source = values.source as 'baike' | 'zhwiki' | 'text';
  if (!name || !['baike', 'zhwiki', 'text'].includes(source) || !['concise', 'detailed'].includes(values.detail!)) {
    process.stderr.write(`Usage: fastnpc ${CREATE_USAGE}`);
    return 2;
  }
  if (source === 'text' && !values.file) {
    process.stderr.write('--source text needs --file <path to a .txt or .md file>\n');
    return 2;
  }
  // The core alone: no HTTP server, routes or static files for a one-shot command.
  const ctx = await buildCore({ ...config, logLevel: 'warn' }, { runJobs: true, log: cliLog });
  try {
    const username = values.user ?? config.adminUser;
    // A name is matched as sign-in matches it (any case or width variant); no name = the first admin.
    const owner = username
      ? await findUserForLogin(ctx.database.db, username, usernameKey(username))
      : await ctx.database.db.selectFrom('users').select(['id', 'username']).where('is_admin', '=', 1).orderBy('id', 'asc').executeTakeFirst();
    if (!owner) {
      process.stderr.write(username ? `no user named ${username}\n` : 'no admin user yet: register one first (npm start, then sign up), or pass --user\n');
      return 2;
    }
    const text = values.file ? decodeUpload(await readFile(values.file)) : undefined;
    let job: Job;
    try {
      job = await ctx.creation.start(owner.id, { name, source, text, candidateId: values.candidate, detail: values.detail as 'concise' | 'detailed' });
    } catch (err) {
      if (isAppError(err, 'ambiguous')) {
        process.stderr.write(`Several pages are called ${name}; choose one with --candidate:\n`);
        for (const c of (err.details?.candidates ?? []) as { id: string; title: string; description: string }[]) process.stderr.write(`  ${c.id}\t${c.title}\t${c.description}\n`);
        return 3;
      }
      throw err;
    }
    const progress = (j: Job) => {
      if (process.stderr.isTTY) process.stderr.write(`\r${bar(j)}\x1b[K`);
      else process.stderr.write(`${bar(j)}\n`);
    };
    // No signal ever aborts here, so follow resolves with the terminal state.
    const final = (await ctx.creation.follow(owner.id, job.id, new AbortController().signal, progress))!;
    progress(final);
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (final.state !== 'done') {
      process.stderr.write(`creation ${final.state}: ${final.error?.message ?? ''} (${final.error?.code ?? ''})\n`);
      return 1;
    }
    process.stdout.write(`${final.result!.characterId}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${isAppError(err) ? `${err.code}: ${err.message}` : (err as Error).message}\n`);
    return 1;
  } finally {
    await ctx.close();
  }
}

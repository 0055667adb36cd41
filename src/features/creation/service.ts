/**
 * Character creation as a job: the HTTP request validates, resolves same-name candidates and
 * returns 202 at once; a worker fetches the page, structures it and saves the character in one
 * transaction. Progress lives in the database and travels to followers through pub/sub.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../infra/db/index.js';
import type { LlmGateway } from '../../infra/llm/index.js';
import type { PubSub } from '../../infra/pubsub/pubsub.js';
import type { JobQueue } from '../../infra/queue/job-queue.js';
import { PermanentJobError } from '../../infra/queue/job-queue.js';
import { AppError, isAppError, notFound } from '../../errors.js';
import type { PromptRegistry } from '../prompts/registry.js';
import type { CharactersService } from '../characters/service.js';
import * as characterStore from '../characters/store.js';
import type { SourceService } from '../sources/service.js';
import type { SourcePage } from '../sources/types.js';
import { BUNDLED_ID_PREFIX } from '../sources/bundled/index.js';
import type { Section } from '../characters/profile.js';
import * as store from './store.js';
import { TERMINAL, type Job, type JobStep } from './store.js';
import { structureProfile, writeBiography, writeGreeting, type Detail } from './structure.js';

export const CREATION_JOB = 'creation';
export const CREATION_ATTEMPTS = 3;

export interface CreationInput {
  name: string;
  source: 'baike' | 'zhwiki' | 'text';
  text?: string;
  candidateId?: string;
  detail: Detail;
}

export interface CreationDeps {
  db: Db;
  queue: JobQueue;
  pubsub: PubSub;
  llm: LlmGateway;
  prompts: PromptRegistry;
  sources: SourceService;
  characters: CharactersService;
  sectionConcurrency: number;
  now?: () => number;
}

const FOLLOW_POLL_MS = 2000;

export const jobChannel = (id: string) => `job:${id}`;

export function createCreationService(deps: CreationDeps) {
  const { db, pubsub } = deps;
  const now = deps.now ?? Date.now;
  let activeFollows = 0;

  async function advance(id: string, patch: Parameters<typeof store.advanceJob>[2]): Promise<Job | undefined> {
    const job = await store.advanceJob(db, id, patch, now());
    if (job) await pubsub.publish(jobChannel(id), job);
    return job;
  }

  /** Throws when the job was cancelled meanwhile, so the runner stops between steps too. */
  async function step(id: string, s: JobStep, done = 0, total = 0): Promise<void> {
    const job = await advance(id, { state: 'running', progress: { step: s, done, total } });
    if (!job) throw new PermanentJobError('cancelled', 'cancelled');
  }

  async function fetchSource(input: CreationInput, signal: AbortSignal): Promise<SourcePage> {
    if (input.source === 'text') return deps.sources.fromText(input.name, input.text ?? '');
    return deps.sources.fetchPage(input.source, { name: input.name, candidateId: input.candidateId }, signal);
  }

  /** The job handler. `attempt` of `maxAttempts`: transient LLM trouble retries through the queue. */
  async function run(jobId: string, signal: AbortSignal, attempt = 1, maxAttempts = 1): Promise<void> {
    const job = await store.findJob(db, jobId);
    if (!job || TERMINAL.includes(job.state) || job.userId === null) return;
    const input = job.input as unknown as CreationInput;
    const userId = job.userId;
    try {
      await step(jobId, 'fetching');
      const page = await fetchSource(input, signal);
      const markdown = deps.sources.toMarkdown(page);
      await step(jobId, 'structuring', 0, 9);
      const personaName = input.name.trim();
      // Section updates are written one after another, so followers never see progress go back.
      let progressWrites = Promise.resolve();
      const profile = await structureProfile(deps.llm, deps.prompts, {
        personaName,
        markdown,
        page,
        detail: input.detail,
        userId,
        sectionConcurrency: deps.sectionConcurrency,
        signal,
        onSection: (done, total) => {
          progressWrites = progressWrites.then(() => advance(jobId, { progress: { step: 'structuring', done, total } })).then(() => undefined, () => undefined);
        },
      });
      await progressWrites;
      await step(jobId, 'writing_biography', 9, 9);
      const [biography, greeting] = await Promise.all([
        writeBiography(deps.llm, deps.prompts, personaName, profile, userId, signal),
        writeGreeting(deps.llm, deps.prompts, personaName, profile, markdown, userId, signal),
      ]);
      const identity = (profile.identity ?? {}) as Section;
      if (!identity.intro) profile.identity = { ...identity, intro: biography };
      // Every new chat with the character opens with it, as with a card's first_mes.
      if (greeting) profile.dialogue = { ...((profile.dialogue ?? {}) as Section), greeting };
      await step(jobId, 'saving', 9, 9);
      const t = now();
      // The page and the character commit together: no half-saved characters.
      const character = await db.transaction().execute(async (trx) => {
        const sourcePageId = await characterStore.insertSourcePage(trx, { source: page.source, key: page.key, title: page.title, url: page.url, pageJson: JSON.stringify(page), markdown, now: t });
        return characterStore.insertCharacter(trx, { userId, name: personaName, profile, biography, source: page.source, sourcePageId, now: t });
      });
      await deps.characters.invalidate(character);
      const finished = await advance(jobId, { state: 'done', progress: { step: 'done', done: 9, total: 9 }, result: { characterId: character.id } });
      if (!finished) {
        // Cancelled during the save: honour the cancel.
        await characterStore.deleteCharacter(db, userId, character.id);
        await deps.characters.invalidate(character);
      }
    } catch (err) {
      const cancelled = signal.aborted || (err instanceof PermanentJobError && err.code === 'cancelled');
      if (cancelled) {
        await advance(jobId, { state: 'cancelled', error: { code: 'cancelled', message: 'Cancelled' } });
        return;
      }
      const e = isAppError(err) ? err : new AppError('internal', 'Creation failed unexpectedly; try again', { cause: err });
      // Transient LLM trouble is worth a queue retry; a bad source or bad output is not.
      const retryable = ['llm_busy', 'llm_unavailable', 'llm_timeout', 'db_busy'].includes(e.kind) && attempt < maxAttempts;
      if (retryable) {
        await advance(jobId, { progress: { step: 'queued', done: 0, total: 0 } });
        throw err;
      }
      await advance(jobId, { state: 'failed', error: { code: e.code, message: e.message } });
      if (e.kind === 'internal') throw new PermanentJobError(e.message);
    }
  }

  return {
    run,

    async start(userId: number, input: CreationInput): Promise<Job> {
      const name = input.name.replace(/\s+/g, ' ').trim();
      if (!name) throw new AppError('validation:name', 'name must not be blank');
      let candidateId = input.candidateId;
      if (input.source === 'text') {
        if (!input.text?.trim()) throw new AppError('validation:text', 'Paste some text (or upload a .txt/.md file) to create from');
        deps.sources.fromText(name, input.text); // validates size and content now, not in the job
      } else if (!candidateId) {
        const candidates = await deps.sources.candidates(input.source, name);
        if (candidates.length === 0) throw new AppError('not_found:source_page', `No ${input.source === 'baike' ? 'Baidu Baike' : 'Wikipedia'} page found for 「${name}」`);
        if (candidates.length > 1) throw new AppError('ambiguous', `Several pages are called 「${name}」; choose one`, { details: { candidates } });
        candidateId = candidates[0].id;
      } else if (!candidateId.startsWith(BUNDLED_ID_PREFIX)) {
        // A chosen page must be one of the name's pages: an unknown id is the caller's mistake,
        // answered now rather than as a job that fails later. (Bundled ids are checked by the source.)
        const candidates = await deps.sources.candidates(input.source, name);
        if (!candidates.some((c) => c.id === candidateId)) {
          throw new AppError('validation:candidateId', `「${candidateId}」 is not one of the pages called 「${name}」; choose one from /api/sources/${input.source}/candidates`, { details: { candidates } });
        }
      }
      const job = await store.insertJob(db, { id: randomUUID(), kind: CREATION_JOB, userId, input: { ...input, name, candidateId }, now: now() });
      try {
        await deps.queue.enqueue(CREATION_JOB, { jobId: job.id }, { jobId: job.id, attempts: CREATION_ATTEMPTS, backoffMs: 2000 });
      } catch (err) {
        await advance(job.id, { state: 'failed', error: { code: 'unavailable', message: 'The job queue is unavailable; try again shortly' } });
        throw err;
      }
      return job;
    },

    async get(userId: number, jobId: string): Promise<Job> {
      const job = await store.findJob(db, jobId, userId);
      if (!job) throw notFound('job');
      return job;
    },

    async cancel(userId: number, jobId: string): Promise<void> {
      const job = await store.findJob(db, jobId, userId);
      if (!job) throw notFound('job');
      if (TERMINAL.includes(job.state)) return;
      await advance(jobId, { state: 'cancelled', error: { code: 'cancelled', message: 'Cancelled' } });
      await deps.queue.cancel(jobId);
    },

    /**
     * Follows a job: `onChange` gets the current state, then every change; resolves with the terminal
     * state, or undefined once `signal` aborts (the client went away). Subscription and poll live
     * only inside this call, so no path can leave them running.
     */
    async follow(userId: number, jobId: string, signal: AbortSignal, onChange: (job: Job) => void): Promise<Job | undefined> {
      const first = await this.get(userId, jobId);
      if (TERMINAL.includes(first.state)) return first;
      if (signal.aborted) return undefined;
      let last = first.updatedAt;
      let settle!: (job: Job | undefined) => void;
      const ended = new Promise<Job | undefined>((resolve) => (settle = resolve));
      const emit = (job: Job) => {
        if (job.updatedAt < last) return;
        last = job.updatedAt;
        if (TERMINAL.includes(job.state)) settle(job);
        else onChange(job);
      };
      const onAbort = () => settle(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      activeFollows++;
      let unsubscribe: (() => Promise<void>) | undefined;
      let poll: NodeJS.Timeout | undefined;
      try {
        onChange(first);
        unsubscribe = await pubsub.subscribe(jobChannel(jobId), emit);
        // Pub/sub is best effort: a slow poll of the database catches anything it missed,
        // including a change between the first read and the subscription.
        const check = async () => {
          const j = await store.findJob(db, jobId, userId).catch(() => undefined);
          if (j && (j.updatedAt > last || TERMINAL.includes(j.state))) emit(j);
          else if (!j) settle(undefined); // deleted with its owner
        };
        poll = setInterval(() => void check(), FOLLOW_POLL_MS);
        void check();
        return await ended;
      } finally {
        signal.removeEventListener('abort', onAbort);
        clearInterval(poll);
        activeFollows--;
        await unsubscribe?.().catch(() => undefined);
      }
    },

    /** Event streams following a job right now (each holds one subscription and one poll). */
    activeFollows: () => activeFollows,

    /** Re-enqueues jobs a stopped process left behind (the embedded queue keeps nothing). */
    async resumeUnfinished(): Promise<number> {
      const jobs = await store.unfinishedJobs(db, CREATION_JOB);
      for (const j of jobs) await deps.queue.enqueue(CREATION_JOB, { jobId: j.id }, { jobId: j.id, attempts: CREATION_ATTEMPTS, backoffMs: 2000 }).catch(() => undefined);
      return jobs.length;
    },
  };
}

export type CreationService = ReturnType<typeof createCreationService>;

/**
 * Versioned prompts for administrators, and the active text for the registry.
 *
 * Every registry id has a template row; versions are never changed once written ("edit" appends
 * one). The built-in text is seeded as a version at start-up; when a release changes a built-in
 * text and the active version is an unedited built-in one, the new text becomes a new active
 * version, so deploys still update prompts nobody has customised.
 *
 * The hot path reads the active text from an in-process snapshot (a Map lookup). Any change
 * publishes on `channel`; every process drops its snapshot and reloads it in one query on next use.
 * A TTL bounds staleness if a pub/sub message is lost (delivery is best effort).
 */
import { AppError, notFound } from '../../errors.js';
import type { Db } from '../../infra/db/index.js';
import type { PubSub } from '../../infra/pubsub/pubsub.js';
import { diffLines, type LineDiff } from './diff.js';
import { BUILTIN_PROMPTS, PROMPT_IDS, type PromptId } from './registry.js';
import * as store from './store.js';
import { assertValidPromptText, checkPromptText, type PromptCheck } from './validate.js';

export const BUILTIN_NOTE = 'built-in';

export interface PromptsServiceDeps {
  db: Db;
  pubsub: PubSub;
  /** The pub/sub channel that announces a change (namespaced per deployment). */
  channel: string;
  /** Safety net for a lost invalidation. */
  snapshotTtlMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export interface ActivePrompt {
  text: string;
  versionId: number;
  version: number;
}

export interface PromptExport {
  format: 'fastnpc-prompts';
  formatVersion: 1;
  exportedAt: number;
  prompts: { key: string; active: number | null; versions: { version: number; content: string; note: string | null; createdAt: number }[] }[];
}

export const categoryOf = (key: string) => key.split('.')[0];

function isPromptId(key: string): key is PromptId {
  return Object.prototype.hasOwnProperty.call(BUILTIN_PROMPTS, key);
}

export function createPromptsService(deps: PromptsServiceDeps) {
  const { db } = deps;
  const now = deps.now ?? Date.now;
  const ttl = deps.snapshotTtlMs ?? 30_000;
  let snapshot: { loadedAt: number; byKey: Promise<Map<string, ActivePrompt>> } | undefined;
  // Bumped by every invalidation, so a load that started before one never installs stale text.
  let generation = 0;

  function invalidateLocal() {
    generation++;
    snapshot = undefined;
  }

  function load(): Promise<Map<string, ActivePrompt>> {
    const started = generation;
    const byKey = store.activeTexts(db).then((rows) => new Map(rows.map((r) => [r.key, { text: r.content, versionId: r.versionId, version: r.version }])));
    const entry = { loadedAt: now(), byKey };
    snapshot = entry;
    byKey.then(
      () => {
        if (generation !== started && snapshot === entry) snapshot = undefined;
      },
      () => {
        if (snapshot === entry) snapshot = undefined;
      },
    );
    return byKey;
  }

  function active(): Promise<Map<string, ActivePrompt>> {
    if (snapshot && now() - snapshot.loadedAt < ttl) return snapshot.byKey;
    return load();
  }

  async function changed() {
    invalidateLocal();
    await deps.pubsub.publish(deps.channel, { at: now() });
  }

  async function template(id: number) {
    const t = await store.findTemplate(db, id);
    if (!t || !isPromptId(t.key)) throw notFound('prompt');
    return t as store.TemplateRow & { key: PromptId };
  }

  async function version(id: number) {
    const v = await store.findVersion(db, id);
    if (!v) throw notFound('prompt_version');
    return v;
  }

  async function activate(versionId: number): Promise<store.PromptVersion> {
    const v = await version(versionId);
    const t = await template(v.templateId);
    // The code's variables may have changed since this version was written.
    assertValidPromptText(t.key, v.content);
    await store.setActive(db, t.id, v.id, now());
    await changed();
    return v;
  }

  return {
    /** Subscribes to changes from other processes and seeds built-in texts. */
    async start(): Promise<() => Promise<void>> {
      const unsubscribe = await deps.pubsub.subscribe(deps.channel, () => invalidateLocal());
      await this.seedBuiltins();
      return unsubscribe;
    },

    async seedBuiltins(): Promise<void> {
      let anyChange = false;
      for (const key of PROMPT_IDS) {
        const builtin = BUILTIN_PROMPTS[key];
        const templateId = await store.ensureTemplate(db, key, builtin.description, now());
        const versions = await store.versionsOf(db, templateId);
        const t = await store.findTemplate(db, templateId);
        const current = versions.find((v) => v.id === t?.activeVersionId);
        const isBuiltin = (v: store.PromptVersion) => v.createdBy === null && v.note === BUILTIN_NOTE;
        if (current && (!isBuiltin(current) || current.content === builtin.text)) continue;
        const same = versions.find((v) => isBuiltin(v) && v.content === builtin.text);
        const id =
          same?.id ??
          (versions.length
            ? await store.appendVersion(db, { templateId, content: builtin.text, note: BUILTIN_NOTE, createdBy: null, now: now() })
            : await store.insertFirstVersion(db, { templateId, content: builtin.text, note: BUILTIN_NOTE, now: now() }));
        await store.setActive(db, templateId, id, now());
        anyChange = true;
      }
      if (anyChange) await changed();
    },

    /** For the registry: the active text of `key`, or undefined (built-in). */
    async activeText(key: PromptId): Promise<string | undefined> {
      return (await active()).get(key)?.text;
    },

    /** The active version id of every prompt (what a message's inspection record refers to). */
    async activeVersionIds(): Promise<Record<string, number>> {
      return Object.fromEntries([...(await active())].map(([k, v]) => [k, v.versionId]));
    },

    async list(category?: string) {
      const templates = (await store.listTemplates(db)).filter((t) => isPromptId(t.key) && (!category || categoryOf(t.key) === category));
      const actives = await active();
      return templates.map((t) => ({
        id: t.id,
        key: t.key,
        category: categoryOf(t.key),
        description: t.description,
        variables: [...BUILTIN_PROMPTS[t.key as PromptId].placeholders],
        activeVersionId: t.activeVersionId,
        activeVersion: actives.get(t.key)?.version ?? null,
        updatedAt: t.updatedAt,
      }));
    },

    async show(templateId: number) {
      const t = await template(templateId);
      const versions = await store.versionsOf(db, t.id);
      const stats = await store.versionStats(db, versions.map((v) => v.id));
      const empty: store.VersionStats = { runs: 0, judged: 0, passed: 0, averageScore: null, lastRunAt: null };
      return {
        id: t.id,
        key: t.key,
        category: categoryOf(t.key),
        description: t.description,
        variables: [...BUILTIN_PROMPTS[t.key].placeholders],
        activeVersionId: t.activeVersionId,
        versions: versions.map((v) => ({ ...v, active: v.id === t.activeVersionId, stats: stats.get(v.id) ?? empty })),
      };
    },

    async getVersion(versionId: number) {
      const v = await version(versionId);
      const t = await template(v.templateId);
      return { ...v, key: t.key, active: t.activeVersionId === v.id };
    },

    async validate(templateId: number, content: string): Promise<{ key: PromptId; check: PromptCheck }> {
      const { key } = await template(templateId);
      return { key, check: checkPromptText(key, content) };
    },

    /** A new version (never an overwrite); valid or refused with the variables named. */
    async createVersion(templateId: number, input: { content: string; note?: string | null; activate?: boolean }, actorId: number) {
      const t = await template(templateId);
      assertValidPromptText(t.key, input.content);
      const id = await store.appendVersion(db, { templateId: t.id, content: input.content, note: input.note?.trim() || null, createdBy: actorId, now: now() });
      if (input.activate) await activate(id);
      return this.getVersion(id);
    },

    /** Activates a version; activating an older one is the rollback. */
    activate: async (versionId: number) => {
      await activate(versionId);
      return { ok: true as const };
    },

    async duplicate(versionId: number, actorId: number) {
      const v = await version(versionId);
      const id = await store.appendVersion(db, { templateId: v.templateId, content: v.content, note: `copy of v${v.version}`, createdBy: actorId, now: now() });
      return this.getVersion(id);
    },

    async diff(fromId: number, toId: number): Promise<LineDiff & { from: number; to: number }> {
      const [a, b] = await Promise.all([version(fromId), version(toId)]);
      return { from: a.id, to: b.id, ...diffLines(a.content, b.content) };
    },

    async exportAll(): Promise<PromptExport> {
      const templates = (await store.listTemplates(db)).filter((t) => isPromptId(t.key));
      const prompts = [];
      for (const t of templates) {
        const versions = await store.versionsOf(db, t.id);
        prompts.push({
          key: t.key,
          active: versions.find((v) => v.id === t.activeVersionId)?.version ?? null,
          versions: versions.reverse().map((v) => ({ version: v.version, content: v.content, note: v.note, createdAt: v.createdAt })),
        });
      }
      return { format: 'fastnpc-prompts', formatVersion: 1, exportedAt: now(), prompts };
    },

    /**
     * Imports an export: each version whose text the template lacks is appended (history is
     * additive); the exported active text becomes active. Everything is checked first, so a bad
     * file changes nothing.
     */
    async importAll(doc: PromptExport, actorId: number | null): Promise<{ created: number; activated: number }> {
      if (doc?.format !== 'fastnpc-prompts' || !Array.isArray(doc.prompts)) throw new AppError('validation:prompt_import', 'Not a FastNPC prompt export (format "fastnpc-prompts")');
      const unknown = doc.prompts.map((p) => p.key).filter((k) => !isPromptId(k));
      if (unknown.length) throw new AppError('validation:prompt_import', `Unknown prompt ids: ${unknown.join(', ')}`, { details: { unknown } });
      for (const p of doc.prompts) for (const v of p.versions) assertValidPromptText(p.key as PromptId, v.content);
      let created = 0;
      let activated = 0;
      await db.transaction().execute(async (trx) => {
        for (const p of doc.prompts) {
          const templateId = await store.ensureTemplate(trx, p.key, BUILTIN_PROMPTS[p.key as PromptId].description, now());
          const existing = await store.versionsOf(trx, templateId);
          const byContent = new Map(existing.map((v) => [v.content, v.id]));
          let activeId: number | undefined;
          for (const v of p.versions) {
            let id = byContent.get(v.content);
            if (id === undefined) {
              id = await store.appendVersion(trx, { templateId, content: v.content, note: v.note ? `${v.note} (imported)` : 'imported', createdBy: actorId, now: now() });
              byContent.set(v.content, id);
              created++;
            }
            if (v.version === p.active) activeId = id;
          }
          const t = await store.findTemplate(trx, templateId);
          if (activeId !== undefined && t?.activeVersionId !== activeId) {
            await store.setActive(trx, templateId, activeId, now());
            activated++;
          }
        }
      });
      await changed();
      return { created, activated };
    },
  };
}

export type PromptsService = ReturnType<typeof createPromptsService>;

/**
 * Page Markdown → the nine-section profile and a biography: nine JSON-mode calls in parallel
 * (bounded per job), then one biography call. A section whose JSON stays invalid after the
 * gateway's repair is retried once, then fails the job naming the section — never an invented `{}`.
 */
import { AppError, isAppError } from '../../errors.js';
import type { LlmGateway } from '../../infra/llm/index.js';
import type { PromptRegistry } from '../prompts/registry.js';
import { fromLabelled, labelledSectionSchema, SECTIONS, type Profile, type Section, type SectionKey } from '../characters/profile.js';
import type { SourcePage } from '../sources/types.js';

export type Detail = 'concise' | 'detailed';

const DETAIL: Record<Detail, { instruction: string; maxTokens: number }> = {
  concise: {
    instruction: '【详略要求：简洁】每个字段只写一句最关键的话；数组字段最多列 3 项。',
    maxTokens: 700,
  },
  detailed: {
    instruction: '【详略要求：详细】每个字段写 2–3 句，尽量具体，引用资料中的细节、时间和人物；“经历”列出 5–10 个关键经历或转折，“关系网络”列出所有重要人物。',
    maxTokens: 1800,
  },
};

export interface StructureInput {
  personaName: string;
  markdown: string;
  page: SourcePage;
  detail: Detail;
  userId: number;
  sectionConcurrency: number;
  /** Called after each finished section with how many are done. */
  onSection: (done: number, total: number) => void;
  signal: AbortSignal;
}

/** Runs `fn` over `items` with at most `limit` at once, in order of completion; the first error wins. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return results;
}

export async function structureProfile(llm: LlmGateway, prompts: PromptRegistry, input: StructureInput): Promise<Profile> {
  const detail = DETAIL[input.detail];
  const [system] = await Promise.all([prompts.render('structure.system', {})]);
  let done = 0;
  // One failure stops the other sections at once: their LLM calls are aborted.
  const sectionsAbort = new AbortController();
  const onOuterAbort = () => sectionsAbort.abort(input.signal.reason);
  input.signal.addEventListener('abort', onOuterAbort, { once: true });

  async function section(key: SectionKey): Promise<Section> {
    const def = SECTIONS.find((s) => s.key === key)!;
    const user = await prompts.render('structure.section', {
      persona_name: input.personaName,
      section_label: def.label,
      fields: def.fields.map((f) => `- ${f.label}${f.list ? '（字符串数组）' : ''}：${f.hint}`).join('\n'),
      detail_instruction: detail.instruction,
      markdown: input.markdown,
    });
    const request = {
      purpose: 'structure' as const,
      messages: [
        { role: 'system' as const, content: system },
        { role: 'user' as const, content: user },
      ],
      temperature: 0,
      maxTokens: detail.maxTokens,
      userId: input.userId,
      hints: { characterName: input.personaName, sectionKey: key, sourceMarkdown: input.markdown },
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await llm.completeJson<Record<string, unknown>>(request, labelledSectionSchema(key), sectionsAbort.signal);
        return fromLabelled(key, answer);
      } catch (err) {
        if (isAppError(err, 'llm_bad_output') && attempt < 2) continue;
        if (isAppError(err, 'llm_bad_output')) throw new AppError(`llm_bad_output:${key}`, `The model could not fill the section 「${def.label}」 (${def.labelEn}) with valid data; try again`, { cause: err });
        throw err;
      }
    }
  }

  try {
    const keys = SECTIONS.map((s) => s.key);
    const values = await mapLimit(keys, input.sectionConcurrency, async (key) => {
      try {
        const v = await section(key);
        input.onSection(++done, keys.length);
        return v;
      } catch (err) {
        sectionsAbort.abort(err);
        throw err;
      }
    });
    const profile: Profile = Object.fromEntries(keys.map((k, i) => [k, values[i]]));
    // Provenance comes from the page itself, not from the model.
    profile.source = {
      ...(profile.source as Section),
      id: `${input.page.source}:${input.page.key}`,
      url: input.page.url ?? '',
      size: `约${input.markdown.length}字`,
    };
    return profile;
  } finally {
    input.signal.removeEventListener('abort', onOuterAbort);
  }
}

export async function writeBiography(llm: LlmGateway, prompts: PromptRegistry, personaName: string, profile: Profile, userId: number, signal: AbortSignal): Promise<string> {
  const user = await prompts.render('structure.biography', { persona_name: personaName, profile_json: JSON.stringify(profile) });
  const { text } = await llm.completeText(
    { purpose: 'structure', messages: [{ role: 'user', content: user }], temperature: 0, maxTokens: 400, userId, hints: { characterName: personaName, profile } },
    signal,
  );
  const bio = text.trim();
  if (!bio) throw new AppError('llm_bad_output:biography', 'The model returned an empty biography; try again');
  return bio;
}

/**
 * A new chat's opening line (stored as the profile's `dialogue.greeting`, as a card's `first_mes`
 * is). Best effort: a character without one is still a character, so a bad answer gives ''.
 */
export async function writeGreeting(llm: LlmGateway, prompts: PromptRegistry, personaName: string, profile: Profile, markdown: string, userId: number, signal: AbortSignal): Promise<string> {
  const user = await prompts.render('structure.greeting', { persona_name: personaName, profile_json: JSON.stringify(profile) });
  try {
    const { text } = await llm.completeText(
      { purpose: 'structure', messages: [{ role: 'user', content: user }], temperature: 0.7, maxTokens: 300, userId, hints: { characterName: personaName, profile, sourceMarkdown: markdown, writing: 'greeting' } },
      signal,
    );
    return text.trim().replace(/^["“「]([\s\S]*)["”」]$/u, '$1').trim();
  } catch (err) {
    if (signal.aborted || !isAppError(err, 'llm_bad_output')) throw err;
    return '';
  }
}

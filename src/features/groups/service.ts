/**
 * Group chat. The server runs the whole round loop of a user message (the original ran it in the
 * browser, spec/chat.md §4.2): store the user message → pick a speaker (rules first, one moderator
 * call only when they cannot decide) → stream that member's reply and store it → repeat until the
 * round limit or "wait for the user" → schedule memory work. One turn per group at a time.
 */
import { Type } from '@sinclair/typebox';
import type { Cache } from '../../infra/cache/cache.js';
import type { Db } from '../../infra/db/index.js';
import type { LlmGateway } from '../../infra/llm/index.js';
import { AppError, notFound } from '../../errors.js';
import type { PromptRegistry } from '../prompts/registry.js';
import { avatarUrl, type CharactersService } from '../characters/service.js';
import type { Actor, Character } from '../characters/store.js';
import type { UsersService } from '../users/service.js';
import { userProfileText, type PersonasService } from '../personas/service.js';
import type { UserSettings } from '../users/settings.js';
import * as conversations from '../conversations/store.js';
import type { Message } from '../conversations/store.js';
import type { ConversationMemoryContext, MemoryService } from '../memory/service.js';
import { assemblePrompt, budgetsFrom, truncateToTokens, type AssembledPrompt, type HistoryMessage } from '../chat/prompt.js';
import type { GroupDone, Turn, TurnEngine, TurnSink } from '../conversations/engine.js';
import * as store from './store.js';
import type { Group, StoredReason } from './store.js';
import { regenerateKeepingVersions } from '../conversations/swipes.js';
import type { DecisionTrace } from '../inspect/recorder.js';
import type { LoreResult } from '../lorebooks/activate.js';
import { aliasesOf, applyModerator, decide, moderatorFallback, type Decision, type GroupMode, type ModeratorAnswer, type Speaker } from './speaker.js';
import { readableTime } from '../../shared/readable-time.js';
import { askedLayer, effectiveSettings, NO_CHAT_LLM_SETTINGS, samplingOf, type AskedSampling, type ChatLlmSettings, type ChatLlmTarget, type TurnSettings } from '../providers/chat-settings.js';
import { cardPromptFields, loreFor } from '../characters/card-fields.js';

export const MIN_MEMBERS = 2;
export const MAX_MEMBERS = 12;
/** How many messages the moderator reads (the original's 20). */
const MODERATOR_WINDOW = 20;
const BRIEF_CHARS = 100;
/** The user's name in group transcripts. */
const USER_LABEL = '用户';

export interface GroupsDeps {
  db: Db;
  /** For message pages (may lag a moment; database.read). */
  readDb?: Db;
  cache: Cache;
  /** Runs each turn (lease, admission, streaming, storage, memory). */
  engine: TurnEngine;
  /** The moderator's calls (in the turn's admitted slot). */
  llm: LlmGateway;
  prompts: PromptRegistry;
  characters: CharactersService;
  users: UsersService;
  memory: MemoryService;
  /** Who the user plays (`{{user}}` and the persona's description in every member's prompt). */
  personas?: Pick<PersonasService, 'active' | 'assertOwned'>;
  /** For the 0.5–0.8 moderator draw; tests inject a seeded one. */
  rng?: () => number;
  now?: () => number;
  /** A group's or character's own model and sampling (features/providers); absent = the owner's settings only. */
  llmSettings?: (target: ChatLlmTarget, id: number) => Promise<ChatLlmSettings>;
  /** A moderator call failed and the round fell back to round-robin. */
  onModeratorError?: (err: unknown) => void;
  /** Keeps each moderator call for the inspection view (must not block). */
  recordDecision?: (trace: DecisionTrace) => void;
  /** A member's lore in a group turn (card book, its attached books, the group's); default: the card's book only. */
  lore?: (character: Character, messages: readonly string[], groupId: number) => Promise<LoreResult | undefined>;
}

export interface GroupMemberView {
  characterId: number;
  name: string;
  avatarUrl: string;
  /** Not chosen to speak before this time (epoch ms); null when not muted (or the time has passed). */
  mutedUntil: number | null;
}

export interface GroupView {
  id: number;
  name: string;
  mode: GroupMode;
  /** Replies per user message in effect: the group's own value or the owner's `groupRounds`. */
  maxRounds: number;
  /** True when `maxRounds` follows the owner's setting (stored as null). */
  maxRoundsDefault: boolean;
  /** The persona the user plays here; null = their default. */
  personaId: number | null;
  members: GroupMemberView[];
  createdAt: number;
  updatedAt: number;
}

export interface GroupMessage extends Message {
  /** The member's name (assistant messages), null for the user. */
  speakerName: string | null;
  /** Why the member was chosen to speak (replies stored since reasons are kept). */
  reason: StoredReason | null;
}

export type DecidedBy = Extract<Decision, { kind: 'speak' }>['by'];

/** The `done` event of a group turn (the round loop reports `speaker` → `token`… → `message_done` per member as it goes). */
export interface TurnResult extends GroupDone {
  decidedBy: Partial<Record<DecidedBy, number>>;
  stoppedBy: Extract<Decision, { kind: 'wait' }>['reason'];
}

/** A moderator call in progress, as the inspection view will show it. */
interface ModeratorCall {
  prompt: string;
  startedAt: number;
  candidates: string[];
  answer: ModeratorAnswer | null;
  /** The model's text, as written (two when its first answer was re-asked). */
  raw: string[];
  error?: string;
}

/** Mutes last at most 30 days; "for good" is removing the member. */
const MAX_MUTE_MS = 30 * 24 * 3600 * 1000;
const isMuted = (m: { mutedUntil: number | null }, at: number) => m.mutedUntil !== null && m.mutedUntil > at;

export const groupConversationKey = (groupId: number) => `conv:group:${groupId}`;

const RULE_DECISIONS: ReadonlySet<DecidedBy> = new Set(['mention', 'addressed', 'only_choice', 'round_robin', 'everyone_once', 'manual', 'requested']);

/** A short description of a member for the others' prompts and the moderator. */
export function briefOf(c: Character): string {
  const identity = (c.profile.identity ?? {}) as Record<string, unknown>;
  const personality = (c.profile.personality ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const text = str(c.biography) || str(identity.intro) || [str(identity.occupation), str(personality.traits)].filter(Boolean).join(' · ') || '（暂无简介）';
  return [...text].length > BRIEF_CHARS ? `${[...text].slice(0, BRIEF_CHARS).join('')}…` : text;
}

export function createGroupsService(deps: GroupsDeps) {
  const { db, cache, llm, engine } = deps;
  const now = deps.now ?? Date.now;
  const rng = deps.rng ?? Math.random;

  async function view(g: Group, settings?: UserSettings): Promise<GroupView> {
    const rounds = g.maxRounds ?? (settings ?? (await deps.users.getSettings(g.userId))).groupRounds;
    return {
      id: g.id,
      name: g.name,
      mode: g.mode,
      maxRounds: rounds,
      maxRoundsDefault: g.maxRounds === null,
      personaId: g.personaId,
      members: g.members.map((m) => ({
        characterId: m.characterId,
        name: m.name,
        avatarUrl: avatarUrl({ id: m.characterId, avatarFile: m.avatarFile, updatedAt: m.updatedAt }),
        mutedUntil: isMuted(m, now()) ? m.mutedUntil : null,
      })),
      createdAt: g.createdAt,
      updatedAt: g.updatedAt,
    };
  }

  /** The owner's group; anyone else gets 404. */
  async function owned(actor: Actor, id: number): Promise<Group> {
    const g = await store.findGroup(db, actor.userId, id);
    if (!g) throw notFound('group');
    return g;
  }

  const conversationOf = (g: Group) =>
    cache.wrap(groupConversationKey(g.id), 3600, () => conversations.getOrCreateConversation(db, g.userId, { kind: 'group', groupId: g.id }, now()));
  /** For reads: looking at a group that never talked does not create its conversation. */
  async function existingConversationOf(g: Group): Promise<number | undefined> {
    const cached = await cache.get<number>(groupConversationKey(g.id));
    return cached ?? conversations.findConversation(db, { kind: 'group', groupId: g.id });
  }

  function memberCountError(n: number) {
    return new AppError('validation:members', `A group has ${MIN_MEMBERS}–${MAX_MEMBERS} members (got ${n})`);
  }

  const BUSY = 'The group is still replying; wait for it or stop it first';

  function historyFor(speakerId: number, messages: readonly conversations.HistoryRow[], names: Map<number, string>): HistoryMessage[] {
    // The speaker's own lines are its (assistant) turns; everyone else's reach it as named user turns.
    return messages.map((m): HistoryMessage =>
      m.role === 'assistant' && m.characterId === speakerId
        ? { role: 'assistant', content: m.content, tokens: m.tokens }
        : { role: 'user', content: m.content, tokens: m.tokens, speaker: m.role === 'user' ? USER_LABEL : (m.characterId && names.get(m.characterId)) || '（已离开的成员）' },
    );
  }

  /** The group prompt of one member: the one-to-one pipeline plus the group's other members. */
  async function buildPrompt(g: Group, speaker: Character, members: Character[], conversationId: number, settings: UserSettings, names: Map<number, string>): Promise<AssembledPrompt> {
    const [history, memory, rulesText, persona] = await Promise.all([
      conversations.recentHistory(db, conversationId, 200),
      // Long-term memory of this member only; short-term summaries of this group.
      deps.memory.snapshot(conversationId, [speaker.id]),
      deps.prompts.render('chat.rules', { character_name: speaker.name }),
      deps.personas?.active(g.userId, g.personaId),
    ]);
    const others = members.filter((m) => m.id !== speaker.id);
    const extra = await deps.prompts.render('group.member_context', {
      group_name: g.name,
      participants: `${USER_LABEL}${others.length ? `以及${others.map((o) => o.name).join('、')}` : ''}`,
      member_briefs: others.map((o) => `- ${o.name}：${briefOf(o)}`).join('\n'),
      character_name: speaker.name,
    });
    const groupHistory = historyFor(speaker.id, history, names);
    // The speaker's card works here as in a one-to-one chat: its own prompt fields and lorebook.
    const texts = groupHistory.map((m) => m.content);
    const lore = deps.lore ? await deps.lore(speaker, texts, g.id) : loreFor(speaker, texts);
    const prompt = assemblePrompt({
      characterName: speaker.name,
      rulesText,
      profile: speaker.profile,
      longTerm: memory.longTerm,
      shortTerm: memory.shortTerm.map((m) => m.content),
      userProfileText: userProfileText(persona, settings),
      history: groupHistory,
      budgets: budgetsFrom(settings),
      extraContext: { title: '群聊成员', text: truncateToTokens(extra, 1200) },
      card: cardPromptFields(speaker),
      lore,
      names: { char: speaker.name, user: persona?.name ?? USER_LABEL },
    });
    // Set, not spread: a spread would compute the inspector's lazy parts on every turn.
    if (lore) prompt.lore = { fired: lore.fired, overBudget: lore.overBudget };
    return prompt;
  }

  /** Streams one member's reply and stores it; a broken or aborted stream stores what came, marked. */
  async function speak(g: Group, speaker: Character, members: Character[], turn: Turn, groupSettings: TurnSettings, names: Map<number, string>, reason: StoredReason | null = null, caller?: AskedSampling): Promise<Message> {
    // A request's own sampling wins, then the group's choices; where neither sets one, the speaker's own apply.
    const settings = effectiveSettings(groupSettings, ...askedLayer(caller), ...(await ownSettings(['group', g.id], ['character', speaker.id])));
    const prompt = await buildPrompt(g, speaker, members, turn.conversationId, settings, names);
    const { message } = await turn.reply(
      { purpose: 'chat', messages: prompt.messages, ...samplingOf(settings), ...(caller?.stop ? { stop: caller.stop } : {}), userId: g.userId, hints: { characterName: speaker.name, profile: speaker.profile } },
      speaker.id,
      undefined,
      { speakerReason: reason ? JSON.stringify(reason) : null },
    );
    return message;
  }

  const ownSettings = (...targets: [ChatLlmTarget, number][]) => Promise.all(targets.map(([t, id]) => deps.llmSettings?.(t, id) ?? NO_CHAT_LLM_SETTINGS));

  /** One moderator call (JSON mode): who of `candidates` should speak next, and how sure it is. */
  async function moderate(speakers: Speaker[], members: Character[], candidates: Speaker[], lastSpeaker: Speaker | undefined, turn: Turn, userId: number, names: Map<number, string>, call: ModeratorCall): Promise<ModeratorAnswer> {
    const recent = await conversations.recentHistory(db, turn.conversationId, MODERATOR_WINDOW);
    const transcript = recent.map((m) => ({ speaker: m.role === 'user' ? USER_LABEL : (m.characterId && names.get(m.characterId)) || '（已离开的成员）', text: m.content }));
    const byId = new Map(members.map((c) => [c.id, c]));
    const text = await deps.prompts.render('group.moderator', {
      members: speakers.map((s) => `- ${s.name}${s.aliases.length > 1 ? `（又称${s.aliases.filter((a) => a !== s.name).join('、')}）` : ''}：${briefOf(byId.get(s.id)!)}`).join('\n'),
      recent_messages: transcript.map((l) => `${l.speaker}：${l.text}`).join('\n') || '（暂无消息）',
      last_speaker: lastSpeaker?.name ?? USER_LABEL,
    });
    // `enum` is sent to the model (and the mock/offline models pick from it); TypeBox does not check it, so matchName does.
    call.prompt = text;
    const schema = Type.Object({
      next_speaker: Type.String({ enum: candidates.map((c) => c.name) } as object),
      reason: Type.String({ maxLength: 200 }),
      confidence: Type.Number({ minimum: 0, maximum: 1 }),
    });
    return llm.completeJson<ModeratorAnswer>(
      {
        purpose: 'moderator',
        messages: [{ role: 'user', content: text }],
        userId,
        hints: { members: candidates.map((c) => ({ id: c.id, name: c.name, aliases: c.aliases })), lastSpeaker: lastSpeaker?.id, transcript },
        slot: turn.slot,
        onAnswerText: (text) => call.raw.push(text),
      },
      schema,
      turn.signal,
    );
  }

  /** The members as characters, and the name of everyone who ever spoke in the conversation. */
  async function cast(g: Group, conversationId: number): Promise<{ members: Character[]; names: Map<number, string> }> {
    const [members, names] = await Promise.all([Promise.all(g.members.map((m) => deps.characters.get({ userId: g.userId }, m.characterId))), store.speakerNames(db, g.userId, conversationId)]);
    for (const c of members) names.set(c.id, c.name);
    return { members, names };
  }

  /** Streams a member's reply, stores it with why it was chosen, and tells the client. */
  async function speakAs(g: Group, speaker: Character, members: Character[], turn: Turn, settings: UserSettings, names: Map<number, string>, reason: StoredReason | null, caller?: AskedSampling): Promise<Message> {
    turn.sink.speaker({ characterId: speaker.id, name: speaker.name });
    const message = await speak(g, speaker, members, turn, settings, names, reason, caller);
    turn.sink.messageDone({ messageId: message.id });
    return message;
  }

  function recordCall(call: ModeratorCall, messageId: number, outcome: string, waited = false) {
    deps.recordDecision?.({
      messageId,
      prompt: call.prompt,
      answer: call.answer,
      raw: call.raw,
      error: call.error,
      outcome: waited ? outcome : call.error ? 'moderator_failed' : outcome,
      candidates: call.candidates,
      latencyMs: now() - call.startedAt,
    });
  }

  /** The `done` of a one-reply turn (let speak, regenerate). */
  function single(message: Message, by: DecidedBy, userMessageId: number): TurnResult {
    return { userMessageId, messageIds: [message.id], rounds: 1, ruleRounds: 1, moderatorCalls: 0, moderatorFailures: 0, decidedBy: { [by]: 1 }, stoppedBy: 'round_limit' };
  }

  async function lastUserMessageId(conversationId: number): Promise<number> {
    const r = await db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).where('role', '=', 'user').orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r?.id ?? 0;
  }

  /** The owner's group and its conversation, for actions on stored messages (none yet: 404). */
  async function existing(actor: Actor, groupId: number): Promise<{ g: Group; conversationId: number }> {
    const g = await owned(actor, groupId);
    const conversationId = await existingConversationOf(g);
    if (conversationId === undefined) throw notFound('message');
    return { g, conversationId };
  }

  /** Messages as the API shows them: with the speaker's name and why it was chosen. */
  async function withSpeakers(g: Group, conversationId: number, items: Message[], source: Db = db): Promise<GroupMessage[]> {
    const [names, reasons] = await Promise.all([store.speakerNames(source, g.userId, conversationId), store.speakerReasons(source, conversationId, items.filter((m) => m.role === 'assistant').map((m) => m.id))]);
    return items.map((m) => ({ ...m, speakerName: m.characterId ? (names.get(m.characterId) ?? null) : null, reason: reasons.get(m.id) ?? null }));
  }

  return {
    async create(actor: Actor, input: { name: string; memberIds: number[]; mode?: GroupMode; maxRounds?: number | null }): Promise<GroupView> {
      const ids = [...new Set(input.memberIds)];
      if (ids.length < MIN_MEMBERS || ids.length > MAX_MEMBERS) throw memberCountError(ids.length);
      const mine = await store.ownedCharacterIds(db, actor.userId, ids);
      const foreign = ids.find((id) => !mine.has(id));
      if (foreign !== undefined) throw new AppError('not_found:character', `character ${foreign} not found`, { details: { characterId: foreign } });
      const id = await db.transaction().execute((trx) =>
        store.insertGroup(trx, { userId: actor.userId, name: input.name, mode: input.mode ?? 'natural', maxRounds: input.maxRounds ?? null, memberIds: ids, now: now() }),
      );
      return view(await owned(actor, id));
    },

    async list(actor: Actor): Promise<GroupView[]> {
      const [groups, settings] = await Promise.all([store.listGroups(db, actor.userId), deps.users.getSettings(actor.userId)]);
      return Promise.all(groups.map((g) => view(g, settings)));
    },

    get: async (actor: Actor, id: number): Promise<GroupView> => view(await owned(actor, id)),

    async update(actor: Actor, id: number, patch: { name?: string; mode?: GroupMode; maxRounds?: number | null; personaId?: number | null }): Promise<GroupView> {
      await deps.personas?.assertOwned(actor.userId, patch.personaId);
      if (!(await store.updateGroup(db, actor.userId, id, patch, now()))) throw notFound('group');
      return view(await owned(actor, id));
    },

    async remove(actor: Actor, id: number): Promise<void> {
      if (!(await store.deleteGroup(db, actor.userId, id))) throw notFound('group');
      await cache.delete(groupConversationKey(id));
    },

    async addMember(actor: Actor, id: number, characterId: number): Promise<GroupView> {
      const g = await owned(actor, id);
      if (g.members.some((m) => m.characterId === characterId)) throw new AppError('conflict:member', 'That character is already a member');
      if (g.members.length >= MAX_MEMBERS) throw memberCountError(g.members.length + 1);
      if (!(await store.addMember(db, actor.userId, id, characterId, now()))) throw notFound('character');
      return view(await owned(actor, id));
    },

    async removeMember(actor: Actor, id: number, characterId: number): Promise<GroupView> {
      const g = await owned(actor, id);
      if (!g.members.some((m) => m.characterId === characterId)) throw notFound('member');
      if (g.members.length <= MIN_MEMBERS) throw memberCountError(g.members.length - 1);
      if (!(await store.removeMember(db, actor.userId, id, characterId))) throw notFound('member');
      return view(await owned(actor, id));
    },

    /**
     * A user message and the replies it draws. Validation, 404 and 409 happen before `io.begin()`;
     * after it, a failure ends the turn (already stored replies stay) and is the caller's error frame.
     */
    async turn(actor: Actor, groupId: number, input: { content: string; speakerId?: number; asked?: AskedSampling }, sink: TurnSink): Promise<TurnResult> {
      const g = await owned(actor, groupId);
      if (!g.members.length) throw memberCountError(0);
      if (input.speakerId !== undefined && !g.members.some((m) => m.characterId === input.speakerId)) {
        throw new AppError('validation:speaker', 'speakerId must be a member of the group');
      }
      if (g.mode === 'manual' && input.speakerId === undefined) throw new AppError('validation:speaker', 'This group is in manual mode: choose who answers with speakerId');
      const [conversationId, user, [own]] = await Promise.all([conversationOf(g), deps.users.getSettings(g.userId), ownSettings(['group', g.id])]);
      const settings = effectiveSettings(user, own);

      return engine.run({ conversationId, model: settings.chatModel ?? undefined, busyMessage: BUSY }, sink, async (turn) => {
        const [{ members, names }, previous] = await Promise.all([cast(g, conversationId), conversations.lastMessage(db, conversationId)]);
        // Muted members are not chosen (nor counted in the rotation) unless the user asks for one.
        const at = now();
        const speakers: Speaker[] = members
          .filter((c) => c.id === input.speakerId || !isMuted(g.members.find((m) => m.characterId === c.id)!, at))
          .map((c) => ({ id: c.id, name: c.name, aliases: aliasesOf(c.name, c.profile) }));
        const previousSpeakerId = previous?.role === 'assistant' ? previous.characterId : null;
        const userMessage = await turn.storeUserMessage(input.content);
        await store.touchGroup(db, g.userId, g.id, now());

        const result: TurnResult = { userMessageId: userMessage.id, messageIds: [], rounds: 0, ruleRounds: 0, moderatorCalls: 0, moderatorFailures: 0, decidedBy: {}, stoppedBy: 'round_limit' };
        const spoken: number[] = [];
        let last = { text: input.content, speakerId: null as number | null };
        const maxRounds = g.maxRounds ?? settings.groupRounds;
        // everyone_once may run past maxRounds (one reply per member); nothing runs past this.
        for (let guard = 0; guard < MAX_MEMBERS + 10; guard++) {
          turn.signal.throwIfAborted();
          let d = decide({ mode: g.mode, members: speakers, userText: input.content, last, previousSpeakerId, spoken, maxRounds, requestedId: input.speakerId });
          let reason: StoredReason | undefined;
          let call: ModeratorCall | undefined;
          if (d.kind === 'ask_moderator') {
            result.moderatorCalls++;
            const { candidates } = d;
            const lastSpeaker = speakers.find((s) => s.id === spoken.at(-1));
            call = { prompt: '', startedAt: now(), candidates: candidates.map((c) => c.name), answer: null, raw: [] };
            try {
              const answer = await moderate(speakers, members, candidates, lastSpeaker, turn, g.userId, names, call);
              call.answer = answer;
              d = applyModerator(answer, candidates, rng);
              reason = { by: d.kind === 'speak' ? d.by : 'moderator', score: answer.confidence, ...(answer.reason ? { reason: answer.reason.slice(0, 200) } : {}) };
            } catch (err) {
              if (turn.signal.aborted) throw err;
              result.moderatorFailures++;
              deps.onModeratorError?.(err);
              call.error = err instanceof AppError ? err.code : 'moderator_failed';
              d = moderatorFallback(candidates, speakers, spoken.at(-1) ?? previousSpeakerId);
            }
          }
          if (d.kind === 'wait') {
            result.stoppedBy = d.reason;
            // A moderator that chose to wait before anyone spoke is kept on the user's message (a reply keeps the call that chose it).
            if (call && !spoken.length) recordCall(call, userMessage.id, d.reason, true);
            break;
          }
          if (d.kind !== 'speak') break;
          if (RULE_DECISIONS.has(d.by)) result.ruleRounds++;
          result.decidedBy[d.by] = (result.decidedBy[d.by] ?? 0) + 1;
          const speaker = members.find((c) => c.id === (d as { id: number }).id)!;
          const message = await speakAs(g, speaker, members, turn, settings, names, reason ?? { by: d.by }, input.asked);
          if (call) recordCall(call, message.id, d.by);
          result.messageIds.push(message.id);
          result.rounds++;
          spoken.push(speaker.id);
          last = { text: message.content, speakerId: speaker.id };
        }
        return result;
      });
    },

    /** "Let X speak now": one member replies to the conversation as it stands, without a user message. */
    async letSpeak(actor: Actor, groupId: number, characterId: number, sink: TurnSink): Promise<TurnResult> {
      const g = await owned(actor, groupId);
      if (!g.members.some((m) => m.characterId === characterId)) throw notFound('member');
      const [conversationId, settings] = await Promise.all([conversationOf(g), deps.users.getSettings(g.userId)]);
      return engine.run({ conversationId, model: settings.chatModel ?? undefined, busyMessage: BUSY }, sink, async (turn) => {
        const { members, names } = await cast(g, conversationId);
        const speaker = members.find((c) => c.id === characterId)!;
        turn.begin();
        await store.touchGroup(db, g.userId, g.id, now());
        const message = await speakAs(g, speaker, members, turn, settings, names, { by: 'requested' });
        return single(message, 'requested', await lastUserMessageId(conversationId));
      });
    },

    /** Regenerates the newest reply (same member); the earlier versions stay as swipes. */
    async regenerate(actor: Actor, groupId: number, sink: TurnSink): Promise<TurnResult> {
      const g = await owned(actor, groupId);
      const [conversationId, settings] = await Promise.all([conversationOf(g), deps.users.getSettings(g.userId)]);
      return engine.run({ conversationId, model: settings.chatModel ?? undefined, busyMessage: BUSY }, sink, async (turn) => {
        const last = await conversations.lastMessage(db, conversationId);
        if (!last || last.role !== 'assistant' || last.characterId === null) throw new AppError('conflict:nothing_to_regenerate', 'The newest message is not a member\'s reply');
        const { members, names } = await cast(g, conversationId);
        const speaker = members.find((c) => c.id === last.characterId);
        if (!speaker) throw new AppError('conflict:nothing_to_regenerate', 'The member who wrote this reply has left the group');
        const reason = (await store.speakerReasons(db, conversationId, [last.id])).get(last.id) ?? null;
        turn.begin();
        const message = await regenerateKeepingVersions(db, conversationId, last, () => speakAs(g, speaker, members, turn, settings, names, reason), now);
        return single(message, (reason?.by as DecidedBy | undefined) ?? 'requested', await lastUserMessageId(conversationId));
      });
    },

    /** Shows version `index` of a reply (swipe); history, memory and export use the shown one. */
    async chooseAlternative(actor: Actor, groupId: number, messageId: number, index: number): Promise<GroupMessage> {
      const { g, conversationId } = await existing(actor, groupId);
      return engine.hold(conversationId, BUSY, async () => {
        const versions = await conversations.findAlternatives(db, conversationId, messageId);
        if (!versions) throw notFound('message');
        if (index >= versions.length) throw new AppError('validation:index', `This message has ${versions.length} version(s); index ${index} is out of range`);
        const m = (await conversations.setAlternatives(db, conversationId, messageId, versions, index))!;
        return (await withSpeakers(g, conversationId, [m]))[0];
      });
    },

    /** Edits one of the user's own messages. */
    async editMessage(actor: Actor, groupId: number, messageId: number, content: string): Promise<GroupMessage> {
      const { g, conversationId } = await existing(actor, groupId);
      const m = await conversations.findMessage(db, conversationId, messageId);
      if (!m) throw notFound('message');
      if (m.role !== 'user') throw new AppError('validation:message', 'Only your own messages can be edited; regenerate a reply instead');
      const edited = await engine.hold(conversationId, BUSY, async () => (await conversations.updateMessageContent(db, conversationId, messageId, content, now()))!);
      return (await withSpeakers(g, conversationId, [edited]))[0];
    },

    async deleteMessage(actor: Actor, groupId: number, messageId: number): Promise<void> {
      const { conversationId } = await existing(actor, groupId);
      await engine.hold(conversationId, BUSY, async () => {
        if (!(await conversations.deleteMessage(db, conversationId, messageId))) throw notFound('message');
      });
    },

    /** Mutes a member until `until` (epoch ms, in the future) or unmutes it (null). */
    async mute(actor: Actor, groupId: number, characterId: number, until: number | null): Promise<GroupView> {
      // Another user's group is a 404 whatever the body says.
      const g = await owned(actor, groupId);
      if (!g.members.some((m) => m.characterId === characterId)) throw notFound('member');
      if (until !== null && (until <= now() || until > now() + MAX_MUTE_MS)) throw new AppError('validation:until', 'until must be in the future, at most 30 days ahead (or null to unmute)', { details: { field: 'until' } });
      if (!(await store.setMutedUntil(db, actor.userId, groupId, characterId, until))) throw notFound('member');
      return view(await owned(actor, groupId));
    },


    async listMessages(actor: Actor, groupId: number, opts: { before?: number; limit: number }): Promise<{ items: GroupMessage[]; nextBefore: number | null }> {
      const g = await owned(actor, groupId);
      const conversationId = await existingConversationOf(g);
      if (conversationId === undefined) return { items: [], nextBefore: null };
      const source = deps.readDb ?? db;
      const page = await conversations.listMessages(source, conversationId, opts);
      return { items: await withSpeakers(g, conversationId, page.items, source), nextBefore: page.nextBefore };
    },

    /** Clears the messages and the group's short-term summaries; members' long-term memory stays. */
    async clear(actor: Actor, groupId: number): Promise<void> {
      const g = await owned(actor, groupId);
      const conversationId = await conversationOf(g);
      await engine.hold(conversationId, BUSY, async () => {
        await conversations.clearMessages(db, conversationId);
        await deps.memory.clear(conversationId, g.members.map((m) => m.characterId), false);
      });
    },

    async exportConversation(actor: Actor, groupId: number, format: 'json' | 'md', timeZone?: string) {
      const g = await owned(actor, groupId);
      const conversationId = await conversationOf(g);
      const [messages, names] = await Promise.all([conversations.allMessages(db, conversationId), store.speakerNames(db, g.userId, conversationId)]);
      const speakerName = (m: Message) => (m.role === 'user' ? USER_LABEL : (m.characterId && names.get(m.characterId)) || '（已删除的角色）');
      if (format === 'json') {
        const body = {
          group: { id: g.id, name: g.name, mode: g.mode, members: g.members.map((m) => ({ characterId: m.characterId, name: m.name })) },
          exportedAt: new Date(now()).toISOString(),
          messages: messages.map((m) => ({ ...m, speakerName: m.role === 'user' ? null : speakerName(m) })),
        };
        return { filename: `${g.name}.group.json`, contentType: 'application/json', body: JSON.stringify(body, null, 2) };
      }
      const md = [
        `# ${g.name}`,
        '',
        `成员：${g.members.map((m) => m.name).join('、')}`,
        '',
        ...messages.map((m) => `**${speakerName(m)}** · ${readableTime(m.createdAt, timeZone)}${m.status === 'interrupted' ? ' · (interrupted)' : ''}\n\n${m.content}\n`),
      ].join('\n');
      return { filename: `${g.name}.group.md`, contentType: 'text/markdown; charset=utf-8', body: md };
    },

    /**
     * Who a group conversation's memory is about, for the memory job: every current member, so
     * long-term facts from the group land in each member's own memory (shared with its one-to-one
     * chat); short-term summaries stay with the group conversation.
     */
    async memoryContext(groupId: number, userId: number, budgets: ConversationMemoryContext['budgets']): Promise<ConversationMemoryContext | undefined> {
      const g = await store.findGroup(db, userId, groupId);
      if (!g || !g.members.length) return undefined;
      const conversationId = await conversationOf(g);
      const names = await store.speakerNames(db, userId, conversationId);
      for (const m of g.members) names.set(m.characterId, m.name);
      return { userId, characterIds: g.members.map((m) => m.characterId), characterName: g.members.map((m) => m.name).join('、'), budgets, speakerNames: names, group: true };
    },
  };
}

export type GroupsService = ReturnType<typeof createGroupsService>;

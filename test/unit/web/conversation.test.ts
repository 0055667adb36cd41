import { describe, expect, it } from 'vitest';
import { conversationReducer as r, decodeTurnEvent, frameToAction, initialConversation, lastReply, type ConversationState } from '../../../web/src/lib/conversation.js';
import type { Message, MessagePage } from '../../../web/src/lib/types.js';

const now = Date.UTC(2025, 0, 1);
const msg = (id: number, role: 'user' | 'assistant', content: string, characterId: number | null = null): Message => ({
  id,
  role,
  content,
  status: 'complete',
  characterId,
  createdAt: now,
  editedAt: null,
});
const page = (items: Message[], nextBefore: number | null = null): MessagePage => ({ items, nextBefore });

describe('conversation reducer', () => {
  it('loads the newest page oldest-first and prepends older pages without duplicates', () => {
    let s = r(initialConversation, { type: 'loaded', page: page([msg(4, 'assistant', 'd'), msg(3, 'user', 'c')], 3) });
    expect(s.items.map((i) => i.id)).toEqual([3, 4]);
    expect(s.nextBefore).toBe(3);
    s = r(s, { type: 'olderLoaded', page: page([msg(3, 'user', 'c'), msg(2, 'assistant', 'b'), msg(1, 'user', 'a')], null) });
    expect(s.items.map((i) => i.id)).toEqual([1, 2, 3, 4]);
    expect(s.nextBefore).toBeNull();
  });

  it('streams a one-to-one turn: placeholder, tokens, then ids from done', () => {
    let s: ConversationState = r(initialConversation, { type: 'loaded', page: page([]) });
    s = r(s, { type: 'sent', userKey: 'u1', assistantKey: 'a1', content: 'hi', now });
    expect(s.streaming).toBe(true);
    expect(s.items.map((i) => [i.role, i.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'streaming'],
    ]);
    s = r(s, { type: 'token', text: 'Hel' });
    s = r(s, { type: 'token', text: 'lo' });
    expect(s.items[1].content).toBe('Hello');
    s = r(s, { type: 'done', messageId: 11, userMessageId: 10 });
    expect(s.streaming).toBe(false);
    expect(s.items.map((i) => [i.id, i.status])).toEqual([
      [10, 'complete'],
      [11, 'complete'],
    ]);
    expect(lastReply(s)?.content).toBe('Hello');
  });

  it('ignores tokens when nothing is streaming', () => {
    const s = r(initialConversation, { type: 'token', text: 'x' });
    expect(s).toBe(initialConversation);
  });

  it('marks a failed reply with the message and stops streaming', () => {
    let s = r(initialConversation, { type: 'sent', userKey: 'u', assistantKey: 'a', content: 'q', now });
    s = r(s, { type: 'token', text: 'par' });
    s = r(s, { type: 'failed', message: 'upstream timeout' });
    expect(s.streaming).toBe(false);
    expect(s.items[1]).toMatchObject({ status: 'error', error: 'upstream timeout', content: 'par' });
  });

  it('on stop keeps a partial reply as interrupted and drops an empty placeholder', () => {
    let s = r(initialConversation, { type: 'sent', userKey: 'u', assistantKey: 'a', content: 'q', now });
    s = r(s, { type: 'token', text: 'half' });
    const stopped = r(s, { type: 'aborted' });
    expect(stopped.items[1].status).toBe('interrupted');
    const empty = r(r(initialConversation, { type: 'sent', userKey: 'u', assistantKey: 'a', content: 'q', now }), { type: 'aborted' });
    expect(empty.items.map((i) => i.role)).toEqual(['user']);
  });

  it('regenerate replaces the replies after the last user message', () => {
    let s = r(initialConversation, { type: 'loaded', page: page([msg(3, 'assistant', 'old', 9), msg(2, 'user', 'q'), msg(1, 'assistant', 'hi', 9)]) });
    s = r(s, { type: 'regenerate', assistantKey: 'a2', now });
    expect(s.items.map((i) => i.content)).toEqual(['hi', 'q', '']);
    expect(s.items[2]).toMatchObject({ status: 'streaming', characterId: 9 });
    s = r(s, { type: 'token', text: 'new' });
    s = r(s, { type: 'done', messageId: 4 });
    expect(s.items[2]).toMatchObject({ id: 4, content: 'new', status: 'complete' });
  });

  it('group turns: each speaker frame starts a new item; message_done stores its id', () => {
    let s = r(initialConversation, { type: 'sent', userKey: 'u', content: 'hello all', now });
    expect(s.items).toHaveLength(1);
    expect(s.streaming).toBe(true);
    s = r(s, { type: 'speaker', key: 's1', characterId: 1, name: '李白', now });
    s = r(s, { type: 'token', text: '举杯' });
    s = r(s, { type: 'messageDone', messageId: 21 });
    s = r(s, { type: 'speaker', key: 's2', characterId: 2, name: '杜甫', now });
    s = r(s, { type: 'token', text: '同饮' });
    // a speaker frame without message_done closes the previous item too
    s = r(s, { type: 'speaker', key: 's3', characterId: 1, name: '李白', now });
    s = r(s, { type: 'done' });
    expect(s.items.map((i) => [i.speakerName ?? 'user', i.content, i.status])).toEqual([
      ['user', 'hello all', 'complete'],
      ['李白', '举杯', 'complete'],
      ['杜甫', '同饮', 'complete'],
      ['李白', '', 'complete'],
    ]);
    expect(s.items[1].id).toBe(21);
    expect(s.streaming).toBe(false);
  });

  it('a merged reload keeps older loaded pages and replaces the newest', () => {
    let s = r(initialConversation, { type: 'loaded', page: page([msg(4, 'assistant', 'd'), msg(3, 'user', 'c')], 3) });
    s = r(s, { type: 'olderLoaded', page: page([msg(2, 'assistant', 'b'), msg(1, 'user', 'a')], null) });
    s = r(s, { type: 'sent', userKey: 'u', assistantKey: 'a', content: 'e', now });
    s = r(s, { type: 'aborted' });
    s = r(s, { type: 'loaded', merge: true, page: page([msg(6, 'assistant', 'f'), msg(5, 'user', 'e'), msg(4, 'assistant', 'd'), msg(3, 'user', 'c')], 3) });
    expect(s.items.map((i) => i.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(s.nextBefore).toBeNull();
  });

  it('edits, deletes and clears by id', () => {
    let s = r(initialConversation, { type: 'loaded', page: page([msg(2, 'assistant', 'b'), msg(1, 'user', 'a')]) });
    s = r(s, { type: 'edited', id: 1, content: 'A', editedAt: now });
    expect(s.items[0]).toMatchObject({ content: 'A', editedAt: now });
    s = r(s, { type: 'deleted', id: 2 });
    expect(s.items.map((i) => i.id)).toEqual([1]);
    s = r(s, { type: 'cleared' });
    expect(s.items).toEqual([]);
    expect(s.loaded).toBe(true);
  });
});

describe('decodeTurnEvent', () => {
  it('decodes the server\'s events into the shared type and drops unknown or malformed ones', () => {
    expect(decodeTurnEvent('token', { text: 'x' })).toEqual({ event: 'token', data: { text: 'x' } });
    expect(decodeTurnEvent('error', { code: 'llm_error', message: 'boom' })).toEqual({ event: 'error', data: { code: 'llm_error', message: 'boom' } });
    expect(decodeTurnEvent('token', { text: 3 })).toBeNull();
    expect(decodeTurnEvent('speaker', {})).toBeNull();
    expect(decodeTurnEvent('future_event', { a: 1 })).toBeNull();
  });
});

describe('frameToAction', () => {
  it('maps each frame kind', () => {
    expect(frameToAction('token', { text: 'x' }, 'k', now)).toEqual({ type: 'token', text: 'x' });
    expect(frameToAction('speaker', { characterId: 3, name: '杜甫' }, 'k', now)).toEqual({ type: 'speaker', key: 'k', characterId: 3, name: '杜甫', now });
    expect(frameToAction('message_done', { messageId: 5 }, 'k', now)).toEqual({ type: 'messageDone', messageId: 5 });
    expect(frameToAction('done', { messageId: 5, userMessageId: 4, usage: {} }, 'k', now)).toEqual({ type: 'done', messageId: 5, userMessageId: 4 });
    expect(frameToAction('done', {}, 'k', now)).toEqual({ type: 'done' });
    expect(frameToAction('error', { code: 'llm_unavailable', message: 'down' }, 'k', now)).toEqual({ type: 'failed', message: 'down' });
    expect(frameToAction('mystery', {}, 'k', now)).toBeNull();
    expect(frameToAction('token', undefined, 'k', now)).toBeNull();
  });
});

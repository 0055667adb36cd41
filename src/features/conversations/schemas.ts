/** HTTP schemas of messages, shared by every conversation's routes (one-to-one and group). */
import { Type } from '@sinclair/typebox';
import { LIMITS } from '../../shared/limits.js';

export const MessageSchema = Type.Object(
  {
    id: Type.Integer(),
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
    content: Type.String(),
    status: Type.String({ description: 'complete | interrupted (reply cut short) | pending (user message, turn running) | failed (user message, no reply came)' }),
    characterId: Type.Union([Type.Integer(), Type.Null()]),
    createdAt: Type.Integer(),
    editedAt: Type.Union([Type.Integer(), Type.Null()]),
    alternatives: Type.Optional(Type.Union([Type.Object({ index: Type.Integer(), count: Type.Integer() }), Type.Null()], { description: 'Swipes: the shown version and how many there are; null = one version' })),
  },
  { $id: 'Message' },
);
export const MessagePage = Type.Object({ items: Type.Array(Type.Ref('Message')), nextBefore: Type.Union([Type.Integer(), Type.Null()]) });
export const MessagePageQuery = Type.Object({ before: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Integer({ minimum: 1, maximum: 100, default: 30 }) });
export const MessageContent = Type.String({ minLength: 1, maxLength: LIMITS.message.max, pattern: '\\S' });

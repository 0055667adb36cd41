/** HTTP schemas of group chat shared with other features (the inspection view shows the speaker's reason). */
import { Type } from '@sinclair/typebox';

export const SpeakerReason = Type.Object(
  {
    by: Type.String({ description: 'mention | addressed | only_choice | round_robin | everyone_once | manual | requested (you asked this member) | moderator | moderator_draw | moderator_failed' }),
    score: Type.Optional(Type.Number({ description: "The moderator's confidence (0–1), when it chose" })),
    reason: Type.Optional(Type.String({ description: "The moderator's reason, when it chose" })),
  },
  { description: 'Why this member was chosen to speak' },
);

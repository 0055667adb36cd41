/**
 * Group chat: groups of the owner's characters, a server-run round loop streamed over SSE, and the
 * memory context of a group conversation.
 *
 * @example
 *   const groups = createGroupsService({ db, cache, locks, llm, prompts, characters, users, memory, roundLeaseMs });
 *   registerGroupRoutes(app, { groups, limiter, chatRatePerMin });
 *   groupMemoryContext = groupMemoryContextOf(groups);
 */
import type { ConversationMemoryContext } from '../memory/service.js';
import type { GroupsService } from './service.js';

export { createGroupsService, type GroupsService, type GroupsDeps, type GroupView, type TurnResult, MIN_MEMBERS, MAX_MEMBERS } from './service.js';
export { registerGroupRoutes, type GroupRouteDeps } from './routes.js';
export { GROUP_MODES, type GroupMode } from './speaker.js';

/** The `groupMemoryContext` hook of app.ts: every current member remembers the group's facts. */
export function groupMemoryContextOf(
  groups: GroupsService,
): (groupId: number, userId: number, budgets: ConversationMemoryContext['budgets']) => Promise<ConversationMemoryContext | undefined> {
  return (groupId, userId, budgets) => groups.memoryContext(groupId, userId, budgets);
}

/** The operator's console: every admin-side feature's routes, registered from one line in app.ts. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app.js';
import { registerPromptRoutes } from '../prompts/routes.js';
import { createFeedbackService } from '../feedback/service.js';
import { registerFeedbackRoutes } from '../feedback/routes.js';

export function registerConsole(app: FastifyInstance, ctx: AppContext): void {
  registerPromptRoutes(app, { prompts: ctx.promptVersions });
  registerFeedbackRoutes(app, { feedback: createFeedbackService({ db: ctx.database.db }) });
}

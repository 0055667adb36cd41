/** The operator's console: every admin-side feature's routes, registered from one line in app.ts. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from './app.js';
import { registerPromptRoutes } from './features/prompts/routes.js';
import { createFeedbackService } from './features/feedback/service.js';
import { registerFeedbackRoutes } from './features/feedback/routes.js';
import { createAuditLog } from './features/admin/audit.js';
import { createAccountsAdmin } from './features/admin/accounts.js';
import { createReview } from './features/admin/review.js';
import { createUsageReports } from './features/admin/usage.js';
import { createOperations } from './features/admin/operations.js';
import { registerAdminRoutes } from './features/admin/routes.js';
import { createInspectionReader } from './features/inspect/service.js';
import { registerInspectRoutes } from './features/inspect/routes.js';
import { registerEvaluationRoutes } from './features/evaluations/routes.js';

export function registerConsole(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.database.db;
  const audit = createAuditLog(db, Date.now, ctx.database.read);
  registerPromptRoutes(app, { prompts: ctx.promptVersions });
  registerFeedbackRoutes(app, { feedback: createFeedbackService({ db }) });
  registerAdminRoutes(app, {
    audit,
    accounts: createAccountsAdmin({ db, cache: ctx.cache, users: ctx.users, audit }),
    review: createReview({ db, audit }),
    usage: createUsageReports({ db, readDb: ctx.database.read, priceOf: ctx.providers.priceOf }),
    operations: createOperations(ctx),
  });
  registerInspectRoutes(app, { inspections: createInspectionReader({ db, audit, flush: ctx.inspections.flush }) });
  registerEvaluationRoutes(app, { evaluations: ctx.evaluations });
}

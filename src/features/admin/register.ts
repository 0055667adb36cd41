/** The operator's console: every admin-side feature's routes, registered from one line in app.ts. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app.js';
import { registerPromptRoutes } from '../prompts/routes.js';
import { createFeedbackService } from '../feedback/service.js';
import { registerFeedbackRoutes } from '../feedback/routes.js';
import { createAuditLog } from './audit.js';
import { createAccountsAdmin } from './accounts.js';
import { createReview } from './review.js';
import { createUsageReports } from './usage.js';
import { createOperations } from './operations.js';
import { registerAdminRoutes } from './routes.js';
import { createInspectionReader } from '../inspect/service.js';
import { registerInspectRoutes } from '../inspect/routes.js';

export function registerConsole(app: FastifyInstance, ctx: AppContext): void {
  const db = ctx.database.db;
  const audit = createAuditLog(db);
  registerPromptRoutes(app, { prompts: ctx.promptVersions });
  registerFeedbackRoutes(app, { feedback: createFeedbackService({ db }) });
  registerAdminRoutes(app, {
    audit,
    accounts: createAccountsAdmin({ db, cache: ctx.cache, audit }),
    review: createReview({ db, audit }),
    usage: createUsageReports({ db }),
    operations: createOperations(ctx),
  });
  registerInspectRoutes(app, { inspections: createInspectionReader({ db, audit }) });
}

/** The in-process app the matrix, fuzzer and upload cases run against, with fixture encyclopedias. */
import { startTestApp, type TestApp } from '../../support/app.js';
import { startFixtureServer, type FixtureServer } from '../../support/fixture-server.js';
import type { Dialect } from '../../support/services.js';

export interface ChaosApp extends TestApp {
  fixtures: FixtureServer;
}

export async function startChaosApp(dialect: Dialect, env: Record<string, string> = {}): Promise<ChaosApp> {
  const fixtures = await startFixtureServer();
  const app = await startTestApp(dialect, {
    FASTNPC_BAIKE_BASE_URL: fixtures.baikeBaseUrl,
    FASTNPC_ZHWIKI_BASE_URL: fixtures.zhwikiBaseUrl,
    FASTNPC_BUNDLED_SOURCES: 'off',
    FASTNPC_LLM_PROVIDER: 'offline',
    FASTNPC_CREATION_RATE_PER_MIN: '0',
    ...env,
  }, { offlineChunkDelayMs: 0 });
  return {
    ...app,
    fixtures,
    async close() {
      await app.close();
      await fixtures.close();
    },
  };
}

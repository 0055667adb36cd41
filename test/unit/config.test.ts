import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, configVariables, loadConfig } from '../../src/config.js';

describe('config', () => {
  it('is documented: the README table lists every variable', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const v of configVariables()) expect(readme, v.env).toContain(`| \`${v.env}\` |`);
  });

  it('stops with every bad variable named', () => {
    try {
      loadConfig({ FASTNPC_PORT: 'eighty', FASTNPC_LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', FASTNPC_SECRET: 'short' }, { ensureSecret: false });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      for (const name of ['FASTNPC_PORT', 'FASTNPC_LOG_LEVEL', 'DATABASE_URL', 'FASTNPC_SECRET']) expect(msg).toContain(name);
    }
  });

  it('has working defaults and never shows a database password', () => {
    const c = loadConfig({}, { ensureSecret: false });
    expect(c.port).toBe(8000);
    expect(c.databaseUrl).toBeUndefined();
    try {
      loadConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db' }, { ensureSecret: false });
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('takes trusted proxies as addresses or CIDR ranges, and a read replica only beside a primary', () => {
    expect(loadConfig({ FASTNPC_TRUST_PROXY: '172.28.0.10, 10.0.0.0/8,::1,loopback' }, { ensureSecret: false }).trustProxy).toEqual(['172.28.0.10', '10.0.0.0/8', '::1', 'loopback']);
    expect(loadConfig({}, { ensureSecret: false }).trustProxy).toEqual([]);
    for (const bad of ['nginx', '10.0.0.0/33', '1.2.3.4/8/1']) expect(() => loadConfig({ FASTNPC_TRUST_PROXY: bad }, { ensureSecret: false }), bad).toThrow(/FASTNPC_TRUST_PROXY/);
    expect(() => loadConfig({ DATABASE_READ_URL: 'postgres://replica/db' }, { ensureSecret: false })).toThrow(/DATABASE_READ_URL needs DATABASE_URL/);
  });

  it('keeps the stream frame well under the silence limit (the stream is not read between frames)', () => {
    expect(loadConfig({ FASTNPC_STREAM_FRAME_MS: '0', FASTNPC_LLM_IDLE_TIMEOUT_MS: '100' }, { ensureSecret: false }).streamFrameMs).toBe(0);
    expect(loadConfig({ FASTNPC_STREAM_FRAME_MS: '250', FASTNPC_LLM_IDLE_TIMEOUT_MS: '500' }, { ensureSecret: false }).streamFrameMs).toBe(250);
    expect(() => loadConfig({ FASTNPC_STREAM_FRAME_MS: '300', FASTNPC_LLM_IDLE_TIMEOUT_MS: '500' }, { ensureSecret: false })).toThrow(/FASTNPC_STREAM_FRAME_MS must be at most half of FASTNPC_LLM_IDLE_TIMEOUT_MS/);
  });
});

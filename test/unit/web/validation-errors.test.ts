/**
 * The contract the web app localizes from: a schema failure answers 400 with a stable code and
 * `field`, `rule`, `limit` next to an English `message` (for API users).
 */
import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../../src/http/errors.js';
import { LIMITS } from '../../../src/shared/limits.js';

// As in src/app.ts: unknown properties are refused, not silently dropped.
const app = Fastify({ ajv: { customOptions: { removeAdditional: false } } });

beforeAll(async () => {
  registerErrorHandling(app);
  app.post(
    '/x',
    { schema: { body: Type.Object({ username: Type.String({ minLength: 3 }), password: Type.String({ minLength: LIMITS.password.min, maxLength: LIMITS.password.max }), profile: Type.Optional(Type.Object({ name: Type.String({ maxLength: 4 }) })) }, { additionalProperties: false }) } },
    async () => ({ ok: true }),
  );
  app.get('/q', { schema: { querystring: Type.Object({ n: Type.Integer({ maximum: 5 }) }) } }, async () => ({ ok: true }));
  await app.ready();
});
afterAll(() => app.close());

const post = (body: unknown) => app.inject({ method: 'POST', url: '/x', payload: body as object });

describe('validation errors', () => {
  it('name the field, the rule and the limit', async () => {
    const r = await post({ username: 'abc', password: 'short' });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ error: { code: 'validation', message: expect.stringMatching(/^body\.password: /), field: 'password', in: 'body', rule: 'minLength', limit: LIMITS.password.min } });
  });

  it('name a missing field as required, and a nested field by its path', async () => {
    expect((await post({ password: 'long enough' })).json().error).toMatchObject({ code: 'validation', field: 'username', rule: 'required' });
    expect((await post({ username: 'abc', password: 'long enough', profile: { name: 'toolong' } })).json().error).toMatchObject({ field: 'profile.name', rule: 'maxLength', limit: 4 });
  });

  it('name the query parameter and an unknown property', async () => {
    expect((await app.inject({ method: 'GET', url: '/q?n=9' })).json().error).toMatchObject({ code: 'validation', field: 'n', in: 'querystring', rule: 'maximum', limit: 5 });
    expect((await post({ username: 'abc', password: 'long enough', extra: 1 })).json().error).toMatchObject({ field: 'extra', rule: 'additionalProperties' });
  });
});

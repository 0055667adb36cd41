/**
 * The web app's API types are generated from the server's OpenAPI document; a route whose schema
 * changed without `npm run api-types` leaves them stale, and this fails with the command to run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_SCHEMA_FILE, generateApiTypes } from '../../../scripts/api-types.js';

describe('web API types', () => {
  it('match the server\'s OpenAPI document (run `npm run api-types` when this fails)', async () => {
    const fresh = await generateApiTypes();
    expect(fresh.length).toBeGreaterThan(1000);
    expect(readFileSync(API_SCHEMA_FILE, 'utf8') === fresh, 'web/src/lib/api-schema.ts is stale: run `npm run api-types`').toBe(true);
  }, 60_000);
});

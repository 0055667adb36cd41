import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { AppError } from '../../../src/errors.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/cards/', import.meta.url));
export const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
export const fixtureJson = (name: string): Record<string, any> => JSON.parse(fixture(name).toString('utf8'));

/** Runs `fn` and returns the AppError it throws (failing the test if it returns or throws something else). */
export function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected an AppError, but nothing was thrown');
}

export async function rejected(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected an AppError, but the promise resolved');
}

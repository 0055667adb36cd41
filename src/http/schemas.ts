/** TypeBox schemas shared by routes. */
import '@fastify/swagger';
import { Type, type TSchema } from '@sinclair/typebox';

export const ErrorResponse = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true }) },
  { $id: 'ErrorResponse', description: 'Every error: a stable code and a human-readable message' },
);

/** The error statuses most routes can answer; spread into a route's `response`. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref('ErrorResponse')]));
}

/** A row id: positive and exact as a JS number (ids are bigint in PostgreSQL; 2^53-1 is far from running out). */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const IdParams = Type.Object({ id: Id });

export const Pagination = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
});

export const NoContent = Type.Null({ description: 'No content' });

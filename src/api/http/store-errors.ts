/** Maps the store's typed errors to API errors: 409 conflict, 400 constraint, 404 not found. */
import { ConflictError, ConstraintError, NotFoundError } from '../../store/errors.ts';
import { ApiError } from './errors.ts';

export function storeErrorToApi(err: unknown): ApiError | null {
  if (err instanceof ConflictError) {
    return new ApiError(409, 'conflict', err.message, { field: err.field, reason: err.reason });
  }
  if (err instanceof ConstraintError && isStillReferenced(err.cause)) {
    return new ApiError(409, 'conflict', 'still in use by other records', {
      field: 'id',
      reason: 'still in use',
    });
  }
  if (err instanceof ConstraintError) {
    const field = err.field ?? 'body';
    return new ApiError(400, 'validation_failed', `${field}: ${err.reason}`, {
      field,
      reason: err.reason,
    });
  }
  if (err instanceof NotFoundError) {
    return new ApiError(404, 'not_found', `${err.entity} not found`);
  }
  return null;
}

/**
 * Deleting a row that an ON DELETE RESTRICT key still points at is a conflict
 * (409), not a bad value. Postgres 15 reports it as 23503 "still referenced"
 * (the store maps that to ConflictError); Postgres 17, which PGlite embeds,
 * reports 23001 "is referenced from table", which the store passes on as a
 * ConstraintError, so it is recognised here from the original error.
 */
function isStillReferenced(cause: unknown): boolean {
  if (typeof cause !== 'object' || cause === null) return false;
  const { code, detail } = cause as { code?: unknown; detail?: unknown };
  return code === '23001' && typeof detail === 'string' && /referenced from table/.test(detail);
}

/** Maps the store's typed errors to API errors: 409 conflict, 400 constraint, 404 not found. */
import { ConflictError, ConstraintError, NotFoundError } from '../../store/errors.ts';
import { ApiError } from './errors.ts';

export function storeErrorToApi(err: unknown): ApiError | null {
  if (err instanceof ConflictError) {
    return new ApiError(409, 'conflict', err.message, { field: err.field, reason: err.reason });
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

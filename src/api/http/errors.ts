/**
 * API errors: a stable code, an HTTP status and a message; validation errors
 * also name the field and the reason. Raw database messages never reach the
 * client (a 500 says only "internal error"; the log has the rest).
 */

export type ErrorCode =
  | 'validation_failed'
  | 'invalid_json'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'range_not_satisfiable'
  | 'bad_gateway'
  | 'internal';

export interface FieldProblem {
  field: string;
  reason: string;
}

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    field?: string;
    reason?: string;
    /** Every problem found, when there was more than one. */
    details?: FieldProblem[];
  };
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly problem?: FieldProblem,
    readonly details?: FieldProblem[],
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.problem ? { field: this.problem.field, reason: this.problem.reason } : {}),
        ...(this.details && this.details.length > 1 ? { details: this.details } : {}),
      },
    };
  }
}

export function validationError(problems: FieldProblem[]): ApiError {
  const first = problems[0] ?? { field: '', reason: 'invalid request' };
  return new ApiError(
    400,
    'validation_failed',
    `${first.field || 'request'}: ${first.reason}`,
    first,
    problems,
  );
}

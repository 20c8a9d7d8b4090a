/**
 * The one place errors become HTTP responses: ApiError as is, body-parser
 * failures as 400/413, store errors through the mapper given by the caller,
 * anything else as a 500 whose details go to the log only.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ApiError } from './errors.ts';

export type ErrorMapper = (err: unknown) => ApiError | null;

interface BodyParserError {
  type: string;
  status?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return (
    typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string'
  );
}

export function toApiError(err: unknown, mapError?: ErrorMapper): ApiError | null {
  if (err instanceof ApiError) return err;
  const mapped = mapError?.(err);
  if (mapped) return mapped;
  if (isBodyParserError(err)) {
    if (err.type === 'entity.parse.failed') {
      return new ApiError(400, 'invalid_json', 'the body is not valid JSON', {
        field: 'body',
        reason: 'invalid JSON',
      });
    }
    if (err.type === 'entity.too.large') {
      return new ApiError(413, 'payload_too_large', 'the body is too large');
    }
    if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
      return new ApiError(415, 'unsupported_media_type', 'unsupported body encoding');
    }
  }
  return null;
}

export function errorHandler(logger: Logger, mapError?: ErrorMapper) {
  // Express recognises error handlers by their four parameters.
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const apiError = toApiError(err, mapError);
    if (res.headersSent) {
      logger.error({ err, method: req.method, path: req.path }, 'error after the response started');
      res.destroy();
      return;
    }
    if (apiError) {
      res.status(apiError.status).json(apiError.toBody());
      return;
    }
    const requestId: unknown = res.locals.requestId;
    logger.error({ err, requestId, method: req.method, path: req.path }, 'request failed');
    const ref = typeof requestId === 'string' ? ` (request ${requestId})` : '';
    res.status(500).json(new ApiError(500, 'internal', `internal error${ref}`).toBody());
  };
}

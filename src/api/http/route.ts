/**
 * Routes as data: each resource file returns a list of `RouteDef`s (method,
 * path, zod schemas for params/query/body, documented response), and the
 * same list both mounts the express handlers and produces the OpenAPI
 * document, so the description cannot drift from what is validated.
 */
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { ApiError, validationError } from './errors.ts';
import { nulField, problemsOf } from './validate.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export const noParams = z.strictObject({});
export const noQuery = z.strictObject({});

type EmptyObject = typeof noParams;

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** Express-style path below `/api`, e.g. `/departments/:id`. */
  path: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Success status: 200 by default, 201 for POST; 204 sends no body. */
  status?: number;
  /** Documents the success body. */
  response?: z.ZodType;
  /**
   * Media type of the success body (default application/json). For others the
   * handler writes the response itself.
   */
  produces?: string;
  /** Error statuses worth documenting besides 400/401/500. */
  errors?: number[];
}

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export interface RouteDef {
  spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>;
  handle(req: Request, res: Response): Promise<void>;
}

function parsePart(schema: z.ZodType, value: unknown, where: string): unknown {
  const nul = nulField(value);
  if (nul !== null) {
    throw validationError([{ field: nul || where, reason: 'must not contain NUL characters' }]);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = problemsOf(result.error).map((p) => ({ ...p, field: p.field || where }));
  throw validationError(problems);
}

export function defineRoute<
  P extends z.ZodType = EmptyObject,
  Q extends z.ZodType = EmptyObject,
  B extends z.ZodType = z.ZodUndefined,
>(
  spec: RouteSpec<P, Q, B>,
  handler: (input: HandlerInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<unknown>,
): RouteDef {
  const status = spec.status ?? (spec.method === 'post' ? 201 : 200);
  return {
    spec: spec as RouteSpec<z.ZodType, z.ZodType, z.ZodType>,
    async handle(req, res) {
      const params = parsePart(spec.params ?? noParams, req.params, 'params');
      const query = parsePart(spec.query ?? noQuery, req.query ?? {}, 'query');
      let body: unknown;
      if (spec.body) {
        if (req.body === undefined && hasBody(req) && !req.is('application/json')) {
          throw new ApiError(
            415,
            'unsupported_media_type',
            'send the body as JSON with Content-Type: application/json',
          );
        }
        body = parsePart(spec.body, req.body, 'body');
      } else if (req.body !== undefined && !isEmptyObject(req.body)) {
        throw validationError([{ field: 'body', reason: 'this request takes no body' }]);
      }
      const result = await handler({
        params: params as z.output<P>,
        query: query as z.output<Q>,
        body: body as z.output<B>,
        req,
        res,
      });
      if (res.headersSent) return;
      if (status === 204) res.status(204).end();
      else res.status(status).json(result);
    },
  };
}

function hasBody(req: Request): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0
  );
}

function isEmptyObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}

export function mountRoutes(router: Router, routes: readonly RouteDef[]): void {
  for (const r of routes) {
    router[r.spec.method](r.spec.path, (req: Request, res: Response) => {
      // Kept for metrics and logs: express resets req.baseUrl once an error
      // leaves the router, and raw paths would carry ids.
      res.locals.routePattern = `${req.baseUrl}${r.spec.path}`;
      return r.handle(req, res);
    });
  }
}

/** Throws a 404 ApiError when `value` is null/undefined; otherwise returns it. */
export function found<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined)
    throw new ApiError(404, 'not_found', `${what} not found`);
  return value;
}

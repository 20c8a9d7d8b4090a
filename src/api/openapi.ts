/**
 * The OpenAPI 3.1 document, generated from the route definitions and their
 * zod schemas with zod's own `z.toJSONSchema` (OpenAPI 3.1 uses JSON Schema
 * 2020-12, which is zod's default target).
 */
import { z } from 'zod';
import type { RouteDef } from './http/route.ts';

type JsonSchema = Record<string, unknown>;

const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    field: z.string().optional(),
    reason: z.string().optional(),
    details: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
  }),
});

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request: `error.field` names the field, `error.reason` says why',
  401: 'Missing or invalid bearer token',
  403: 'The read-only token cannot change anything',
  404: 'Not found',
  409: 'Conflict with an existing record',
  415: 'The body is not sent as application/json',
  416: 'The requested byte range is outside the file (`Content-Range: bytes */<size>`)',
  500: 'Internal error',
  502: 'A phone or the media server refused what the request needed (`error.reason` says which)',
};

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function objectProperties(schema: z.ZodType): [string, JsonSchema, boolean][] {
  const json = toSchema(schema, 'input');
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => [name, s, required.has(name)]);
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

export function buildOpenApi(routes: readonly RouteDef[], info: OpenApiInfo, prefix = '/api') {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { spec } of routes) {
    const p = prefix + openApiPath(spec.path);
    const parameters: unknown[] = [];
    if (spec.params) {
      for (const [name, schema] of objectProperties(spec.params)) {
        parameters.push({ name, in: 'path', required: true, schema });
      }
    }
    if (spec.query) {
      for (const [name, schema, required] of objectProperties(spec.query)) {
        parameters.push({ name, in: 'query', required, schema });
      }
    }
    const status = spec.status ?? (spec.method === 'post' ? 201 : 200);
    const responses: Record<string, unknown> = {
      [String(status)]: {
        description: status === 204 ? 'Done, no content' : 'Success',
        ...(spec.produces
          ? { content: { [spec.produces]: { schema: { type: 'string' } } } }
          : spec.response && status !== 204
            ? { content: { 'application/json': { schema: toSchema(spec.response, 'output') } } }
            : {}),
      },
    };
    const errorStatuses = new Set([
      400,
      401,
      ...(spec.method === 'get' ? [] : [403]),
      ...(spec.body ? [415] : []),
      500,
    ]);
    for (const s of spec.errors ?? []) errorStatuses.add(s);
    for (const s of [...errorStatuses].sort()) {
      responses[String(s)] = {
        description: ERROR_TEXT[s] ?? 'Error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    paths[p] ??= {};
    paths[p][spec.method] = {
      summary: spec.summary,
      tags: [spec.tag],
      operationId: `${spec.method}${p.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(spec.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: toSchema(spec.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  Object.assign(paths, unversionedPaths(prefix));
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: toSchema(errorSchema, 'output') },
    },
    paths,
  };
}

/** Routes served outside the route definitions: probes, metrics, the event stream. */
function unversionedPaths(prefix: string): Record<string, Record<string, unknown>> {
  const text = (description: string, type = 'application/json') => ({
    description,
    content: {
      [type]: { schema: type === 'application/json' ? { type: 'object' } : { type: 'string' } },
    },
  });
  return {
    '/healthz': {
      get: {
        summary: 'Liveness: 200 while the process serves, 503 while stopping',
        tags: ['operations'],
        security: [],
        responses: { 200: text('Running'), 503: text('Stopping') },
      },
    },
    '/readyz': {
      get: {
        summary: 'Readiness: database reachable and every migration applied',
        tags: ['operations'],
        security: [],
        responses: { 200: text('Ready'), 503: text('Not ready; `checks` says why') },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics (HTTP requests by route pattern, process metrics)',
        tags: ['operations'],
        security: [],
        responses: { 200: text('Prometheus text format', 'text/plain') },
      },
    },
    [`${prefix}/events`]: {
      get: {
        summary:
          'WebSocket event stream: one JSON message {type, at, data} per change. Token in the Authorization header or ?token=; ?types= filters (e.g. agent.*,call.*)',
        tags: ['events'],
        parameters: [
          { name: 'token', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'types', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: {
          101: { description: 'Switching to the WebSocket protocol' },
          401: text('No or wrong token'),
        },
      },
    },
  };
}

/**
 * The five routes every plain configuration resource has: list, create, get,
 * patch, delete. Each successful change publishes `<noun>.created|updated|deleted`
 * with the stored row (or `{ id }`).
 */
import { z } from 'zod';
import {
  type ApiEvents,
  type ConfigNoun,
  type ConfigRow,
  publishConfigChange,
} from '../events/api-events.ts';
import { defineRoute, found, type RouteDef } from '../http/route.ts';

export interface CrudRepo<Row, Input, Patch, Filter> {
  list(filter?: Filter): Promise<Row[]>;
  get(id: string): Promise<Row | null>;
  create(input: Input): Promise<Row>;
  update(id: string, patch: Patch): Promise<Row>;
  remove(id: string): Promise<void>;
}

export interface CrudOptions<
  Row extends ConfigRow,
  C extends z.ZodType,
  P extends z.ZodType,
  Q extends z.ZodType,
> {
  /** Path below /api, e.g. '/vip-callers'; also the OpenAPI tag, without the slash. */
  path: string;
  /** Event noun, lowercase with hyphens as event_log types, e.g. 'vip-caller'. */
  noun: ConfigNoun;
  /** Human name for summaries and 404s, e.g. 'VIP caller'. */
  label: string;
  repo: CrudRepo<Row, z.output<C>, z.output<P>, z.output<Q>>;
  events: ApiEvents;
  create: C;
  patch: P;
  /** Filters of the list route (default: none). */
  listQuery?: Q;
  view: z.ZodType;
  /** What makes a create or patch conflict (409), for the description. */
  conflictOn?: string;
  /** Why a delete may be refused with 409, for the description. */
  deleteConflict?: string;
}

const idParams = z.strictObject({ id: z.string() });

export function crudRoutes<
  Row extends ConfigRow,
  C extends z.ZodType,
  P extends z.ZodType,
  Q extends z.ZodType,
>(o: CrudOptions<Row, C, P, Q>): RouteDef[] {
  const { repo, events, noun, label } = o;
  const tag = o.path.slice(1);
  // Without filters the list takes no query parameters at all (unknown ones get 400).
  const listQuery = o.listQuery ?? (z.strictObject({}) as z.ZodType as Q);
  const conflict = o.conflictOn ? ` (409 when the ${o.conflictOn} is taken)` : '';
  return [
    defineRoute(
      {
        method: 'get',
        path: o.path,
        tag,
        summary: `List ${label}s`,
        query: listQuery,
        response: z.object({ items: z.array(o.view) }),
      },
      async ({ query }) => ({ items: await repo.list(query) }),
    ),
    defineRoute(
      {
        method: 'post',
        path: o.path,
        tag,
        summary: `Create a ${label}${conflict}`,
        body: o.create,
        response: o.view,
        errors: [409],
      },
      async ({ body }) => {
        const created = await repo.create(body);
        publishConfigChange(events, noun, { verb: 'created', row: created });
        return created;
      },
    ),
    defineRoute(
      {
        method: 'get',
        path: `${o.path}/:id`,
        tag,
        summary: `Get a ${label}`,
        params: idParams,
        response: o.view,
        errors: [404],
      },
      async ({ params }) => found(await repo.get(params.id), label),
    ),
    defineRoute(
      {
        method: 'patch',
        path: `${o.path}/:id`,
        tag,
        summary: `Change a ${label}${conflict}`,
        params: idParams,
        body: o.patch,
        response: o.view,
        errors: [404, 409],
      },
      async ({ params, body }) => {
        const updated = await repo.update(params.id, body);
        publishConfigChange(events, noun, { verb: 'updated', row: updated });
        return updated;
      },
    ),
    defineRoute(
      {
        method: 'delete',
        path: `${o.path}/:id`,
        tag,
        summary: `Delete a ${label}${o.deleteConflict ? ` (409 ${o.deleteConflict})` : ''}`,
        params: idParams,
        status: 204,
        errors: o.deleteConflict ? [404, 409] : [404],
      },
      async ({ params }) => {
        await repo.remove(params.id);
        publishConfigChange(events, noun, { verb: 'deleted', id: params.id });
      },
    ),
  ];
}

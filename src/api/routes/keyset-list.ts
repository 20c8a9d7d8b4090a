/**
 * The list route of a resource read in keyset pages (the call log, ring
 * attempts, voicemails): a GET whose query carries the filters, `limit` and
 * `cursor`, answered with `{ items, nextCursor }`, newest first.
 */
import type { z } from 'zod';
import { defineRoute, type RouteDef } from '../http/route.ts';
import { cursorPage } from '../schemas/calls.ts';

export interface KeysetListSpec<Q extends z.ZodType> {
  /** Path below /api, e.g. '/calls'. */
  path: string;
  tag: string;
  /** What is listed and by what it is filtered; the paging sentence is appended. */
  summary: string;
  query: Q;
  /** Schema of one item as the API shows it. */
  item: z.ZodType;
}

export function keysetListRoute<Q extends z.ZodType>(
  spec: KeysetListSpec<Q>,
  list: (query: z.output<Q>) => Promise<{ items: unknown[]; nextCursor: string | null }>,
): RouteDef {
  return defineRoute(
    {
      method: 'get',
      path: spec.path,
      tag: spec.tag,
      summary: `${spec.summary}; newest first. Pass nextCursor as cursor for the next page`,
      query: spec.query,
      response: cursorPage(spec.item),
    },
    async ({ query }) => list(query),
  );
}

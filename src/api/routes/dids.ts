/** /api/dids: dialled numbers and the department that answers each. */
import type { DidsRepo } from '../../store/dids.ts';
import type { ApiEvents } from '../events/api-events.ts';
import type { RouteDef } from '../http/route.ts';
import { didCreate, didListQuery, didPatch, didView } from '../schemas/dids.ts';
import { crudRoutes } from './crud.ts';

export function didRoutes(deps: { dids: DidsRepo; events: ApiEvents }): RouteDef[] {
  return crudRoutes({
    path: '/dids',
    noun: 'did',
    label: 'dialled number',
    repo: deps.dids,
    events: deps.events,
    create: didCreate,
    patch: didPatch,
    listQuery: didListQuery,
    view: didView,
    conflictOn: 'number',
  });
}

/** /api/memberships: which agent serves which department, with priority and calls on/off. */
import type { MembershipsRepo } from '../../store/memberships.ts';
import type { ApiEvents } from '../events/api-events.ts';
import type { RouteDef } from '../http/route.ts';
import {
  membershipCreate,
  membershipListQuery,
  membershipPatch,
  membershipView,
} from '../schemas/memberships.ts';
import { crudRoutes } from './crud.ts';

export function membershipRoutes(deps: {
  memberships: MembershipsRepo;
  events: ApiEvents;
}): RouteDef[] {
  return crudRoutes({
    path: '/memberships',
    noun: 'membership',
    label: 'membership',
    repo: deps.memberships,
    events: deps.events,
    create: membershipCreate,
    patch: membershipPatch,
    listQuery: membershipListQuery,
    view: membershipView,
    conflictOn: 'agent-department pair',
  });
}

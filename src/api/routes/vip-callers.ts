/** /api/vip-callers: callers who jump ahead in the queue, optionally to a dedicated agent. */
import type { VipCallersRepo } from '../../store/vip-callers.ts';
import type { ApiEvents } from '../events/api-events.ts';
import type { RouteDef } from '../http/route.ts';
import { vipCallerCreate, vipCallerPatch, vipCallerView } from '../schemas/vip-callers.ts';
import { crudRoutes } from './crud.ts';

export function vipCallerRoutes(deps: {
  vipCallers: VipCallersRepo;
  events: ApiEvents;
}): RouteDef[] {
  return crudRoutes({
    path: '/vip-callers',
    noun: 'vip-caller',
    label: 'VIP caller',
    repo: deps.vipCallers,
    events: deps.events,
    create: vipCallerCreate,
    patch: vipCallerPatch,
    view: vipCallerView,
    conflictOn: 'caller number',
  });
}

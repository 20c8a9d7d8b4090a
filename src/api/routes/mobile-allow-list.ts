/**
 * /api/mobile-allow-list: number patterns a mobile may be forwarded to, so a
 * mistyped or malicious agent number cannot make the trunk call anywhere.
 */
import type { MobileAllowListRepo } from '../../store/mobile-allow-list.ts';
import type { ApiEvents } from '../events/api-events.ts';
import type { RouteDef } from '../http/route.ts';
import { allowEntryCreate, allowEntryPatch, allowEntryView } from '../schemas/mobile-allow-list.ts';
import { crudRoutes } from './crud.ts';

export function mobileAllowListRoutes(deps: {
  mobileAllowList: MobileAllowListRepo;
  events: ApiEvents;
}): RouteDef[] {
  return crudRoutes({
    path: '/mobile-allow-list',
    noun: 'mobile-allow-list',
    label: 'allow-list entry',
    repo: deps.mobileAllowList,
    events: deps.events,
    create: allowEntryCreate,
    patch: allowEntryPatch,
    view: allowEntryView,
    conflictOn: 'pattern',
  });
}

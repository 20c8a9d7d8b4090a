/** /api/departments: routing settings per department (changes apply to the next decision). */
import type { DepartmentsRepo } from '../../store/departments.ts';
import type { ApiEvents } from '../events/api-events.ts';
import type { RouteDef } from '../http/route.ts';
import { departmentCreate, departmentPatch, departmentView } from '../schemas/departments.ts';
import { crudRoutes } from './crud.ts';

export function departmentRoutes(deps: {
  departments: DepartmentsRepo;
  events: ApiEvents;
}): RouteDef[] {
  return crudRoutes({
    path: '/departments',
    noun: 'department',
    label: 'department',
    repo: deps.departments,
    events: deps.events,
    create: departmentCreate,
    patch: departmentPatch,
    view: departmentView,
    conflictOn: 'name',
    deleteConflict: 'while dialled numbers or other departments’ exits point at it',
  });
}

import { checkTimeZone, parseClock } from './business-hours.ts';
import {
  STRATEGIES,
  type AgentConfig,
  type DepartmentConfig,
  type MembershipConfig,
} from './types.ts';

/** A configuration value the engine cannot work with; names the field. */
export class AcdConfigError extends Error {
  override name = 'AcdConfigError';
}

function nonNegative(owner: string, field: string, v: number | null): void {
  if (v !== null && !(Number.isFinite(v) && v >= 0)) {
    throw new AcdConfigError(`${owner}: ${field} must be a number >= 0 (got ${v})`);
  }
}

export function validateDepartment(d: DepartmentConfig): void {
  const o = `department ${d.id}`;
  if (!STRATEGIES.includes(d.strategy))
    throw new AcdConfigError(`${o}: unknown strategy '${d.strategy}'`);
  for (const f of [
    'ringTimeoutS',
    'wrapUpS',
    'retryDelayS',
    'maxMissedRings',
    'stickyWindowS',
  ] as const) {
    nonNegative(o, f, d[f]);
  }
  nonNegative(o, 'serviceLevelS', d.serviceLevelS);
  nonNegative(o, 'announceIntervalS', d.announceIntervalS);
  nonNegative(o, 'maxWaitS', d.maxWaitS);
  nonNegative(o, 'maxQueueLength', d.maxQueueLength);
  if (d.ringTimeoutS <= 0) throw new AcdConfigError(`${o}: ringTimeoutS must be > 0`);
  try {
    checkTimeZone(d.timeZone);
  } catch {
    throw new AcdConfigError(`${o}: unknown time zone '${d.timeZone}'`);
  }
  for (const h of d.businessHours ?? []) {
    if (!Number.isInteger(h.day) || h.day < 0 || h.day > 6) {
      throw new AcdConfigError(`${o}: business hours day must be 0..6 (got ${h.day})`);
    }
    let open: number;
    let close: number;
    try {
      open = parseClock(h.open);
      close = parseClock(h.close);
    } catch (e) {
      throw new AcdConfigError(`${o}: ${(e as Error).message}`);
    }
    if (close <= open)
      throw new AcdConfigError(`${o}: hours ${h.open}-${h.close} close before they open`);
  }
  for (const day of d.holidays) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day))
      throw new AcdConfigError(`${o}: holiday '${day}' is not YYYY-MM-DD`);
  }
}

export function validateAgent(a: AgentConfig): void {
  if (!Number.isInteger(a.maxConcurrentCalls) || a.maxConcurrentCalls < 1) {
    throw new AcdConfigError(`agent ${a.id}: maxConcurrentCalls must be an integer >= 1`);
  }
  nonNegative(`agent ${a.id}`, 'registeredDevices', a.registeredDevices);
}

export function validateMembership(m: MembershipConfig): void {
  if (!Number.isInteger(m.priority) || m.priority < 1 || m.priority > 100) {
    throw new AcdConfigError(
      `membership ${m.agentId}/${m.departmentId}: priority must be an integer 1..100 (got ${m.priority})`,
    );
  }
}

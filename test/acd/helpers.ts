import {
  type AcdAction,
  type AcdConfig,
  AcdEngine,
  type AcdOutput,
  type DepartmentConfig,
  defaultAgent,
  defaultDepartment,
  type MembershipConfig,
  type Strategy,
  seededRandom,
} from '../../src/acd/index.ts';

/** Monday 2026-01-05 10:00:00 UTC. */
export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

export type Ring = Extract<AcdAction, { type: 'ring' }>;

export function ringsOf(out: AcdOutput): Ring[] {
  return out.actions.filter((a): a is Ring => a.type === 'ring');
}

export function ofType<K extends AcdAction['type']>(out: AcdOutput, type: K) {
  return out.actions.filter((a): a is Extract<AcdAction, { type: K }> => a.type === type);
}

/** One department `d1` with agents a1..an (priority 50 unless given). */
export function oneDepartment(
  strategy: Strategy,
  n: number,
  dept: Partial<DepartmentConfig> = {},
  options: { priorities?: number[]; seed?: number; explain?: boolean } = {},
): AcdEngine {
  const agents = Array.from({ length: n }, (_, i) => defaultAgent(`a${i + 1}`));
  const memberships: MembershipConfig[] = agents.map((a, i) => ({
    agentId: a.id,
    departmentId: 'd1',
    priority: options.priorities?.[i] ?? 50,
    callsEnabled: true,
  }));
  const config: AcdConfig = {
    departments: [defaultDepartment('d1', { strategy, ...dept })],
    agents,
    memberships,
  };
  return new AcdEngine(config, {
    now: T0,
    random: seededRandom(options.seed ?? 1),
    explain: options.explain ?? true,
  });
}

/** Arrive a call `id` at T0 + `s` seconds. */
export function arrive(
  acd: AcdEngine,
  id: string,
  s = 0,
  extra: { vip?: boolean; dept?: string; caller?: string } = {},
) {
  return acd.handle({
    type: 'callArrived',
    at: T0 + s * 1000,
    callId: id,
    departmentId: extra.dept ?? 'd1',
    caller: extra.caller ?? `+49${id}`,
    vip: extra.vip ?? false,
  });
}

export function agentOf(acd: AcdEngine, id: string) {
  const a = acd.snapshot().agents.find((x) => x.id === id);
  if (!a) throw new Error(`no agent ${id}`);
  return a;
}

export function deptOf(acd: AcdEngine, id = 'd1') {
  const d = acd.snapshot().departments.find((x) => x.id === id);
  if (!d) throw new Error(`no department ${id}`);
  return d;
}

/** Serve one call fully: arrive, answer whoever rings first, end after `talkS`. Returns the agent. */
export function serve(acd: AcdEngine, id: string, atS: number, talkS: number): string {
  const r = ringsOf(arrive(acd, id, atS))[0];
  if (!r) throw new Error(`call ${id} did not ring anyone`);
  acd.handle({ type: 'agentAnswered', at: T0 + atS * 1000, attemptId: r.attemptId });
  acd.handle({ type: 'callEnded', at: T0 + (atS + talkS) * 1000, callId: id });
  return r.agentId;
}

export const at = (s: number) => T0 + s * 1000;

/** Two departments; `members` maps agent -> departments. */
export function twoDepartments(
  members: Record<string, string[]>,
  d1: Partial<DepartmentConfig> = {},
  d2: Partial<DepartmentConfig> = {},
) {
  const memberships: MembershipConfig[] = [];
  for (const [agentId, depts] of Object.entries(members)) {
    for (const departmentId of depts)
      memberships.push({ agentId, departmentId, priority: 50, callsEnabled: true });
  }
  return new AcdEngine(
    {
      departments: [defaultDepartment('d1', d1), defaultDepartment('d2', d2)],
      agents: Object.keys(members).map((id) => defaultAgent(id)),
      memberships,
    },
    { now: T0, random: seededRandom(3) },
  );
}

/** The agent of the attempt answers at T0 + `s` seconds. */
export function answer(acd: AcdEngine, attemptId: string | undefined, s: number) {
  return acd.handle({ type: 'agentAnswered', at: at(s), attemptId: attemptId ?? '' });
}

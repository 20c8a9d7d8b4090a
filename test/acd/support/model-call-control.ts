import { expect } from 'vitest';
import type { AcdAction, AcdEngine, AcdEvent, AcdSnapshot } from '../../../src/acd/index.ts';
import { T0 } from '../helpers.ts';
import type { build, Op } from './property-model.ts';

/** What the sequences exercised (asserted, so the property does not pass vacuously). */
export const seen = new Map<string, number>();

/**
 * The test acting as call control: it only answers or fails rings it was
 * asked to place and hangs up calls it knows, and after every event checks
 * the invariants against the actions and the engine's snapshot.
 */
export class CallControl {
  now = T0;
  readonly rings = new Map<string, { callId: string; agentId: string }>();
  readonly ended: string[] = [];
  readonly live = new Set<string>();
  readonly connected = new Map<string, string>();
  readonly completed = new Map<string, number>();
  readonly bridged = new Set<string>();
  readonly arrived: string[] = [];
  readonly maxCalls: Map<string, number>;
  readonly priority = new Map<string, number>();
  readonly departments: ReturnType<typeof build>['departments'];
  nextCall = 0;

  constructor(
    readonly acd: AcdEngine,
    cfg: ReturnType<typeof build>,
  ) {
    this.maxCalls = new Map(cfg.agents.map((a) => [a.id, a.maxConcurrentCalls]));
    this.departments = cfg.departments;
    for (const m of cfg.memberships)
      this.priority.set(`${m.agentId}/${m.departmentId}`, m.priority);
  }

  activeOf(agentId: string): number {
    let n = 0;
    for (const a of this.connected.values()) if (a === agentId) n++;
    return n;
  }

  send(e: AcdEvent): void {
    const out = this.acd.handle(e);
    for (const a of out.actions) {
      const kind = 'reason' in a ? `${a.type}:${a.reason}` : a.type;
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
      this.check(a);
    }
    if (out.nextWakeUp !== null) expect(out.nextWakeUp).toBeGreaterThanOrEqual(this.now);
    const snap = this.acd.snapshot();
    this.invariants(snap);
    // Events other than ticks fire no timer (the test ticks through every due time),
    // so every offer they cause was made with the queues as the snapshot shows them.
    if (e.type !== 'tick') this.callOrder(out.actions, snap);
  }

  /**
   * Order of calls: an agent offered call c was not eligible for any call
   * still waiting for an offer that comes before c (VIP, then arrival), in
   * any of the agent's departments.
   */
  callOrder(actions: AcdAction[], s: AcdSnapshot): void {
    const seq = (id: string) => Number(id.slice(1));
    const before = (x: { vip: boolean; arrivedAt: number; callId: string }, y: typeof x) =>
      x.vip !== y.vip
        ? x.vip
        : x.arrivedAt !== y.arrivedAt
          ? x.arrivedAt < y.arrivedAt
          : seq(x.callId) < seq(y.callId);
    const all = s.departments.flatMap((d) => d.waiting.map((w) => ({ ...w, departmentId: d.id })));
    for (const a of actions) {
      if (a.type !== 'ring') continue;
      // Offers (ring-all included) go only to agents free for the department's calls.
      const rung = s.agents.find((x) => x.id === a.agentId);
      expect(rung?.ringingAttemptId).toBe(a.attemptId);
      expect(rung?.presence).toBe('available');
      expect(rung?.reachable).toBe(true);
      expect(rung?.memberships.find((m) => m.departmentId === a.departmentId)?.callsEnabled).toBe(
        true,
      );
      if (a.decision?.sticky) continue;
      const c = all.find((w) => w.callId === a.callId);
      if (!c) continue; // answered or gone within the same step
      const agent = s.agents.find((x) => x.id === a.agentId);
      for (const w of all) {
        if (!w.ready || !before(w, c) || w.tried.includes(a.agentId)) continue;
        const m = agent?.memberships.find((x) => x.departmentId === w.departmentId);
        expect(
          m?.callsEnabled === true,
          `${a.agentId} offered ${c.callId} while ${w.callId} came first`,
        ).toBe(false);
      }
    }
  }

  check(a: AcdAction): void {
    switch (a.type) {
      case 'ring': {
        // One offer at a time, only to an agent with room for a call, only for a waiting call.
        for (const r of this.rings.values())
          expect(r.agentId, `second offer to ${a.agentId}`).not.toBe(a.agentId);
        expect(this.activeOf(a.agentId)).toBeLessThan(this.maxCalls.get(a.agentId) ?? 1);
        expect(this.live.has(a.callId)).toBe(true);
        expect(this.connected.has(a.callId)).toBe(false);
        // Except in ring-all, a call rings one agent at a time.
        if (a.decision?.strategy !== 'ring-all') {
          for (const r of this.rings.values()) expect(r.callId).not.toBe(a.callId);
        }
        this.rings.set(a.attemptId, { callId: a.callId, agentId: a.agentId });
        // Priorities respected: nobody with a better priority among the candidates.
        const d = a.decision;
        expect(d).toBeDefined();
        if (d && d.strategy === 'priority' && !d.sticky) {
          const mine = this.priority.get(`${a.agentId}/${d.departmentId}`) ?? 0;
          for (const c of d.candidates) {
            expect(this.priority.get(`${c}/${d.departmentId}`) ?? 0).toBeGreaterThanOrEqual(mine);
          }
        }
        break;
      }
      case 'cancelRing':
        expect(this.rings.has(a.attemptId), `cancel of unknown ring ${a.attemptId}`).toBe(true);
        this.rings.delete(a.attemptId);
        this.ended.push(a.attemptId);
        break;
      case 'bridge':
        expect(this.bridged.has(a.callId), `call ${a.callId} served twice`).toBe(false);
        this.bridged.add(a.callId);
        this.connected.set(a.callId, a.agentId);
        break;
      case 'callCompleted':
        expect(this.completed.get(a.callId) ?? 0, `call ${a.callId} completed twice`).toBe(0);
        this.completed.set(a.callId, 1);
        this.live.delete(a.callId);
        this.connected.delete(a.callId);
        break;
      case 'reject':
      case 'overflow':
      case 'announce':
        expect(this.live.has(a.callId)).toBe(true);
        break;
      default:
        break;
    }
  }

  invariants(s: AcdSnapshot): void {
    // Rings: what call control holds is exactly what the engine holds.
    const engineRings = s.agents
      .filter((a) => a.ringingAttemptId !== null)
      .map((a) => a.ringingAttemptId);
    expect(new Set(engineRings)).toEqual(new Set(this.rings.keys()));
    // No call lost: every live call is waiting in exactly one queue or connected.
    const waiting = s.departments.flatMap((d) => d.waiting.map((w) => w.callId));
    const connected = s.connected.map((c) => c.callId);
    expect(new Set(waiting).size).toBe(waiting.length);
    expect([...waiting, ...connected].sort()).toEqual([...this.live].sort());
    // Work conservation: no free eligible untried agent while a call could take an offer.
    const agents = new Map(s.agents.map((a) => [a.id, a]));
    for (const d of s.departments) {
      for (const w of d.waiting) {
        if (w.ringing.length > 0 && d.strategy !== 'ring-all') continue;
        for (const a of agents.values()) {
          const m = a.memberships.find((x) => x.departmentId === d.id);
          if (!m?.callsEnabled) continue;
          const free =
            a.presence === 'available' &&
            a.reachable &&
            a.ringingAttemptId === null &&
            (a.state === 'available' ||
              (a.state === 'onCall' && a.activeCalls < a.maxConcurrentCalls));
          const eligible = free && !w.tried.includes(a.id);
          expect(eligible, `agent ${a.id} idle while ${w.callId} waits in ${d.id}`).toBe(false);
        }
      }
    }
  }

  pick<T>(xs: T[], n: number): T | undefined {
    return xs.length === 0 ? undefined : xs[n % xs.length];
  }

  run(op: Op): void {
    const at = this.now;
    switch (op.op) {
      case 'arrive': {
        const id = `c${this.nextCall++}`;
        this.live.add(id);
        this.arrived.push(id);
        this.send({
          type: 'callArrived',
          at,
          callId: id,
          departmentId: `d${op.dept}`,
          caller: `+1${op.caller}`,
          vip: op.vip,
        });
        return;
      }
      case 'answer': {
        const id = this.pick([...this.rings.keys()], op.pick);
        if (!id) return;
        this.rings.delete(id);
        this.send({ type: 'agentAnswered', at, attemptId: id });
        return;
      }
      case 'fail': {
        const id = this.pick([...this.rings.keys()], op.pick);
        if (!id) return;
        this.rings.delete(id);
        this.ended.push(id);
        this.send({ type: 'ringFailed', at, attemptId: id, cause: op.cause });
        return;
      }
      case 'late': {
        const id = this.pick(this.ended, op.pick);
        if (!id) return;
        const out = this.acd.handle({ type: 'agentAnswered', at, attemptId: id });
        seen.set('dropLateAnswer', (seen.get('dropLateAnswer') ?? 0) + 1);
        expect(out.actions).toEqual([{ type: 'dropLateAnswer', attemptId: id }]);
        return;
      }
      case 'end': {
        const id = this.pick([...this.connected.keys()], op.pick);
        if (id) this.send({ type: 'callEnded', at, callId: id });
        return;
      }
      case 'hangup': {
        const id = this.pick([...this.live], op.pick);
        if (id) this.send({ type: 'callerHungUp', at, callId: id });
        return;
      }
      case 'status':
        this.send({
          type: 'agentStatusChanged',
          at,
          agentId: `a${op.agent}`,
          status: op.status,
          until: op.status === 'break' ? at + op.breakS * 1000 : null,
        });
        return;
      case 'devices':
        this.send({
          type: 'agentDevicesChanged',
          at,
          agentId: `a${op.agent}`,
          registeredDevices: op.n,
        });
        return;
      case 'toggle':
        if (!this.priority.has(`a${op.agent}/d${op.dept}`)) return;
        this.send({
          type: 'configChanged',
          at,
          changes: {
            memberships: [
              {
                agentId: `a${op.agent}`,
                departmentId: `d${op.dept}`,
                priority: this.priority.get(`a${op.agent}/d${op.dept}`) ?? 50,
                callsEnabled: op.on,
              },
            ],
          },
        });
        return;
      case 'strategy': {
        const d = this.departments[op.dept];
        if (!d) return;
        this.departments[op.dept] = { ...d, strategy: op.strategy };
        this.send({
          type: 'configChanged',
          at,
          changes: { departments: [{ ...d, strategy: op.strategy }] },
        });
        return;
      }
      case 'removeAgent':
        for (const key of [...this.priority.keys()]) {
          if (key.startsWith(`a${op.agent}/`)) this.priority.delete(key);
        }
        this.send({ type: 'configChanged', at, changes: { removedAgents: [`a${op.agent}`] } });
        return;
      case 'wrapUpEnded':
        this.send({ type: 'wrapUpEnded', at, agentId: `a${op.agent}` });
        return;
      case 'advance':
        this.now += op.s * 1000;
        this.send({ type: 'tick', at: this.now });
        return;
    }
  }

  /** Hang everything up and let every timer run out: nothing may be left. */
  drain(): void {
    for (const id of [...this.connected.keys()])
      this.send({ type: 'callEnded', at: this.now, callId: id });
    for (const id of [...this.live]) this.send({ type: 'callerHungUp', at: this.now, callId: id });
    this.now += 3_600_000;
    this.send({ type: 'tick', at: this.now });
    expect(this.live.size).toBe(0);
    expect(this.rings.size).toBe(0);
    for (const id of this.arrived) expect(this.completed.get(id), `call ${id} lost`).toBe(1);
    // Statistics add up: every call that entered a queue left it exactly one way.
    const s = this.acd.snapshot();
    let answered = 0;
    for (const d of s.departments) {
      const st = d.stats;
      const rejected = Object.values(st.rejected).reduce((x, y) => x + (y ?? 0), 0);
      expect(st.entered).toBe(st.answered + st.abandoned + st.overflowedOut + rejected);
      answered += st.answered;
    }
    expect(s.agents.reduce((x, a) => x + a.stats.answered, 0)).toBeLessThanOrEqual(answered);
    expect(answered).toBe(this.bridged.size);
  }
}

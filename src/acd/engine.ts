import type { AcdAction, CancelReason, ExitReason } from './actions.ts';
import { type AgentState, checkAgentTransition } from './agent-state.ts';
import { isOpen, nextLocalMidnight } from './business-hours.ts';
import { chooseAgents } from './choose.ts';
import {
  AcdConfigError,
  validateAgent,
  validateDepartment,
  validateMembership,
} from './config-check.ts';
import type { Decision } from './decision.ts';
import { expectedWaitS, RecentHandleTimes } from './estimates.ts';
import type { AcdEvent, RingFailure } from './events.ts';
import { explainDecision } from './explain.ts';
import { Heap } from './heap.ts';
import { OrderedSet } from './ordered-set.ts';
import {
  type AgentRec,
  type AttemptRec,
  type CallRec,
  callBefore,
  type DeptRec,
  type MembershipRec,
  rankFacts,
  reachable,
} from './records.ts';
import {
  type AcdLive,
  type AcdLiveState,
  type AcdSnapshot,
  buildLive,
  buildLiveState,
  buildSnapshot,
} from './snapshot.ts';
import { emptyAgentStats, emptyDepartmentStats } from './stats.ts';
import { compareEntries, strategyKey } from './strategies.ts';
import { Agenda } from './timers.ts';
import type {
  AcdConfig,
  AgentConfig,
  ConfigChanges,
  DepartmentConfig,
  MembershipConfig,
  Presence,
  QueueExit,
} from './types.ts';

export type { AcdLive, AcdLiveState, AcdSnapshot } from './snapshot.ts';

export interface AcdOptions {
  /** Uniform in [0, 1): the only source of randomness (random strategy). */
  random: () => number;
  /** Clock reading (epoch ms) when the engine starts. */
  now: number;
  /** Attach a full `Decision` to every ring (one pass over the department's members). Default true. */
  explain?: boolean;
  /** Time zone whose midnight resets the "today" counters. Default 'UTC'. */
  statsTimeZone?: string;
  /** Handle time assumed for estimates before a department has history. Default 180 s. */
  defaultHandleTimeS?: number;
  /** How many recent handle times the estimate averages. Default 20. */
  handleTimeWindow?: number;
  /**
   * Least time between the starts of two rounds of one call (default 1000 ms,
   * at least 1 ms). Each agent is rung at most once per round, so this caps
   * rings per agent per call. With `retryDelayS` 0 and agents whose rings fail
   * at once (a trunk that rejects, a mobile that may not be rung), rounds
   * would otherwise follow each other without end inside one event.
   */
  minRoundIntervalMs?: number;
}

/** The result of one event: actions for call control and when to send the next tick. */
export interface AcdOutput {
  actions: AcdAction[];
  /** Epoch ms of the next time-based step (null = nothing pending). */
  nextWakeUp: number | null;
}

export class AcdInputError extends Error {
  override name = 'AcdInputError';
}

/**
 * The routing engine. `handle(event)` applies one event, runs every routing
 * decision it makes possible and returns the actions; it performs no I/O and
 * reads no clock. State lives in this object and changes only inside `handle`.
 */
export class AcdEngine {
  readonly #random: () => number;
  readonly #explain: boolean;
  readonly #statsTz: string;
  readonly #defaultHandleS: number;
  readonly #handleWindow: number;
  readonly #minRoundMs: number;
  readonly #agenda = new Agenda();
  readonly #depts = new Map<string, DeptRec>();
  readonly #agents = new Map<string, AgentRec>();
  readonly #calls = new Map<string, CallRec>();
  readonly #attempts = new Map<string, AttemptRec>();
  readonly #sticky = new Map<string, { agentId: string; at: number }>();
  readonly #dirty = new Set<DeptRec>();
  readonly #noAgentCheck = new Set<DeptRec>();
  /** Calls that entered a queue or lost a ring during this step (announce / retry bookkeeping). */
  readonly #entered: CallRec[] = [];
  readonly #lostRing: CallRec[] = [];
  #out: AcdAction[] = [];
  #now: number;
  #callSeq = 0;

  constructor(config: AcdConfig, options: AcdOptions) {
    this.#random = options.random;
    this.#now = options.now;
    this.#explain = options.explain ?? true;
    this.#statsTz = options.statsTimeZone ?? 'UTC';
    this.#defaultHandleS = options.defaultHandleTimeS ?? 180;
    this.#handleWindow = options.handleTimeWindow ?? 20;
    this.#minRoundMs = Math.max(1, options.minRoundIntervalMs ?? 1000);
    const initial = {
      departments: config.departments,
      agents: config.agents,
      memberships: config.memberships,
    };
    this.#validateConfig(initial);
    this.#applyConfig(initial);
    this.#dirty.clear();
    this.#noAgentCheck.clear();
    this.#scheduleDayReset();
  }

  get now(): number {
    return this.#now;
  }

  /** Applies one event; returns the actions to carry out, in order, and the next wake-up. */
  handle(event: AcdEvent): AcdOutput {
    // Refuse bad input before anything changes: a throw must not swallow the actions of due timers.
    this.#validate(event);
    const out: AcdAction[] = [];
    this.#out = out;
    this.#runTimers(event.at);
    this.#now = Math.max(this.#now, event.at);
    this.#apply(event);
    this.#settle();
    this.#out = [];
    return { actions: out, nextWakeUp: this.#agenda.next() };
  }

  /** Next time-based step (same as the last output's `nextWakeUp`). */
  nextWakeUp(): number | null {
    return this.#agenda.next();
  }

  // ---------------------------------------------------------------- events

  #apply(e: AcdEvent): void {
    switch (e.type) {
      case 'callArrived': {
        this.#callArrived(e.callId, e.departmentId, e.caller, e.vip === true);
        return;
      }
      case 'callerHungUp': {
        this.#callerHungUp(e.callId);
        return;
      }
      case 'agentAnswered': {
        this.#agentAnswered(e.attemptId);
        return;
      }
      case 'ringFailed': {
        this.#ringFailed(e.attemptId, e.cause);
        return;
      }
      case 'ringTimedOut': {
        this.#ringFailed(e.attemptId, 'no-answer');
        return;
      }
      case 'callEnded': {
        this.#callEnded(e.callId);
        return;
      }
      case 'wrapUpEnded': {
        const a = this.#agents.get(e.agentId);
        if (a && a.wrapUpUntil !== null) this.#endWrapUp(a, 'wrap-up ended by agent');
        return;
      }
      case 'agentStatusChanged': {
        this.#statusChanged(e.agentId, e.status, e.until ?? null, e.reason ?? 'status');
        return;
      }
      case 'agentDevicesChanged': {
        const a = this.#agents.get(e.agentId);
        if (!a) return;
        a.devices = Math.max(0, e.registeredDevices);
        this.#refresh(a);
        return;
      }
      case 'configChanged': {
        this.#applyConfig(e.changes);
        return;
      }
      case 'tick':
        return;
    }
  }

  #validate(e: AcdEvent): void {
    if (!Number.isFinite(e.at))
      throw new AcdInputError(`${e.type}: 'at' must be a clock reading in ms`);
    if (e.type === 'callArrived' && this.#calls.has(e.callId)) {
      throw new AcdInputError(`call ${e.callId} already in the engine`);
    }
    if (e.type === 'configChanged') this.#validateConfig(e.changes);
  }

  #callArrived(callId: string, departmentId: string, caller: string, vip: boolean): void {
    const d = this.#depts.get(departmentId);
    if (!d) {
      this.#out.push(
        { type: 'reject', callId, reason: 'unknown-department', exit: { kind: 'hangup' } },
        {
          type: 'callCompleted',
          callId,
          departmentId,
          outcome: 'rejected',
          reason: 'unknown-department',
          waitMs: 0,
        },
      );
      return;
    }
    const call: CallRec = {
      id: callId,
      seq: this.#callSeq++,
      dept: d,
      caller,
      vip,
      arrivedAt: this.#now,
      enqueuedAt: this.#now,
      attempts: new Map(),
      attemptSeq: 0,
      tried: new Set(),
      agent: null,
      answeredAt: 0,
      visited: new Set(),
      maxWaitTimer: null,
      roundTimer: null,
      roundStartedAt: this.#now,
      announceTimer: null,
    };
    this.#calls.set(callId, call);
    this.#enterDepartment(call, d);
  }

  /** Queue admission: hours, then logged-in agents, then queue length. */
  #enterDepartment(call: CallRec, d: DeptRec): void {
    call.dept = d;
    call.visited.add(d.id);
    call.enqueuedAt = this.#now;
    call.tried.clear();
    call.roundStartedAt = this.#now;
    d.stats.entered++;
    const c = d.cfg;
    if (!isOpen(c.businessHours, c.holidays, c.timeZone, this.#now)) {
      this.#leaveQueue(call, c.outOfHoursAction, 'out-of-hours');
      return;
    }
    if (d.loggedIn === 0) {
      this.#leaveQueue(call, c.noAgentAction, 'no-agent');
      return;
    }
    if (c.maxQueueLength !== null && d.waiting.size >= c.maxQueueLength) {
      this.#leaveQueue(call, c.queueFullAction, 'queue-full');
      return;
    }
    d.waiting.insert(call);
    d.ready.insert(call);
    this.#dirty.add(d);
    if (c.maxWaitS !== null) {
      call.maxWaitTimer = this.#agenda.schedule(this.#now + c.maxWaitS * 1000, () => {
        call.maxWaitTimer = null;
        this.#cancelAttempts(call, 'max-wait');
        this.#leaveQueue(call, call.dept.cfg.maxWaitAction, 'max-wait');
      });
    }
    this.#entered.push(call);
  }

  /** The call leaves its queue without an agent: overflow to another department or exit. */
  #leaveQueue(call: CallRec, exit: QueueExit, reason: ExitReason): void {
    const d = call.dept;
    this.#unqueue(call);
    if (exit.kind === 'overflow') {
      const target = this.#depts.get(exit.departmentId);
      if (target && !call.visited.has(target.id)) {
        d.stats.overflowedOut++;
        target.stats.overflowedIn++;
        this.#out.push({
          type: 'overflow',
          callId: call.id,
          fromDepartmentId: d.id,
          toDepartmentId: target.id,
          reason,
        });
        this.#enterDepartment(call, target);
        return;
      }
      this.#reject(call, 'overflow-loop', { kind: 'hangup' });
      return;
    }
    this.#reject(call, reason, exit);
  }

  #reject(call: CallRec, reason: ExitReason, exit: Exclude<QueueExit, { kind: 'overflow' }>) {
    const d = call.dept;
    d.stats.rejected[reason] = (d.stats.rejected[reason] ?? 0) + 1;
    this.#out.push({ type: 'reject', callId: call.id, reason, exit });
    this.#forgetCall(call);
    this.#out.push({
      type: 'callCompleted',
      callId: call.id,
      departmentId: d.id,
      outcome: 'rejected',
      reason,
      waitMs: this.#now - call.arrivedAt,
    });
  }

  #callerHungUp(callId: string): void {
    const call = this.#calls.get(callId);
    if (!call) return;
    if (call.agent) {
      this.#callEnded(callId);
      return;
    }
    this.#cancelAttempts(call, 'caller-hung-up');
    const d = call.dept;
    const waited = this.#now - call.enqueuedAt;
    d.stats.abandoned++;
    d.stats.totalWaitAbandonedMs += waited;
    d.stats.longestWaitMs = Math.max(d.stats.longestWaitMs, waited);
    this.#unqueue(call);
    this.#forgetCall(call);
    this.#out.push({
      type: 'callCompleted',
      callId,
      departmentId: d.id,
      outcome: 'abandoned',
      waitMs: this.#now - call.arrivedAt,
    });
  }

  #agentAnswered(attemptId: string): void {
    const att = this.#attempts.get(attemptId);
    if (!att) {
      // Cancelled (timeout, caller gone, answered elsewhere) while the 2xx was on its way.
      this.#out.push({ type: 'dropLateAnswer', attemptId });
      return;
    }
    const { call, agent: a } = att;
    const d = call.dept;
    this.#endAttempt(att);
    this.#cancelAttempts(call, 'answered-elsewhere');
    this.#unqueue(call);
    call.agent = a;
    call.answeredAt = this.#now;
    // A multi-call agent whose other call ended while this one rang skips that wrap-up.
    a.wrapUpTimer = this.#agenda.cancel(a.wrapUpTimer);
    a.wrapUpUntil = null;
    a.activeCalls++;
    a.missedInRow = 0;
    a.stats.answered++;
    a.stats.answeredToday++;
    const waited = this.#now - call.enqueuedAt;
    d.stats.answered++;
    d.stats.totalWaitAnsweredMs += waited;
    d.stats.longestWaitMs = Math.max(d.stats.longestWaitMs, waited);
    if (waited <= d.cfg.serviceLevelS * 1000) d.stats.answeredWithinServiceLevel++;
    this.#remember(call.caller, a.id);
    this.#out.push({ type: 'bridge', callId: call.id, agentId: a.id, attemptId, waitMs: waited });
    this.#rest(a, 'answered');
  }

  #ringFailed(attemptId: string, cause: RingFailure): void {
    const att = this.#attempts.get(attemptId);
    if (!att) return; // already ended: a failure racing a cancel
    this.#missed(att, cause);
  }

  /** The agent did not take the offer: release, count, maybe pause, try the next agent. */
  #missed(att: AttemptRec, cause: RingFailure | 'timeout'): void {
    const { call, agent: a } = att;
    const d = call.dept;
    this.#endAttempt(att);
    a.stats.missed++;
    d.stats.missedRings++;
    a.missedInRow++;
    const limit = d.cfg.maxMissedRings;
    if (limit > 0 && a.missedInRow >= limit && a.presence === 'available') {
      a.stats.autoPauses++;
      this.#out.push({
        type: 'pauseAgent',
        agentId: a.id,
        reason: 'missed-rings',
        missedRings: a.missedInRow,
      });
      a.missedInRow = 0;
      this.#setPresence(a, 'away', null, 'missed-rings');
    }
    this.#rest(a, `ring ${cause}`);
    this.#requeue(call);
  }

  /** Sticky-agent memory; entries older than every department's window are dropped now and then. */
  #remember(caller: string, agentId: string): void {
    this.#sticky.delete(caller); // re-insert: Map order stays oldest first
    this.#sticky.set(caller, { agentId, at: this.#now });
    if (this.#sticky.size % 4096 !== 0) return;
    let window = 0;
    for (const d of this.#depts.values()) window = Math.max(window, d.cfg.stickyWindowS * 1000);
    for (const [k, v] of this.#sticky) {
      if (this.#now - v.at <= window) break;
      this.#sticky.delete(k);
    }
  }

  #callEnded(callId: string): void {
    const call = this.#calls.get(callId);
    if (!call) return;
    const a = call.agent;
    if (!a) {
      this.#callerHungUp(callId);
      return;
    }
    const d = call.dept;
    const talk = this.#now - call.answeredAt;
    a.activeCalls--;
    a.stats.talkMs += talk;
    a.stats.talkMsToday += talk;
    d.stats.totalTalkMs += talk;
    d.handleTimes.add(talk / 1000 + d.cfg.wrapUpS);
    this.#remember(call.caller, a.id);
    this.#forgetCall(call);
    if (a.activeCalls === 0 && d.cfg.wrapUpS > 0) {
      a.wrapUpTimer = this.#agenda.cancel(a.wrapUpTimer);
      a.wrapUpUntil = this.#now + d.cfg.wrapUpS * 1000;
      a.wrapUpTimer = this.#agenda.schedule(a.wrapUpUntil, () => {
        a.wrapUpTimer = null;
        this.#endWrapUp(a, 'wrap-up over');
      });
    }
    this.#out.push({
      type: 'callCompleted',
      callId,
      departmentId: d.id,
      outcome: 'answered',
      agentId: a.id,
      waitMs: call.answeredAt - call.arrivedAt,
      talkMs: talk,
    });
    this.#rest(a, 'call ended');
    if (a.removed && a.activeCalls === 0 && !a.offer) this.#agents.delete(a.id);
  }

  #endWrapUp(a: AgentRec, cause: string): void {
    a.wrapUpTimer = this.#agenda.cancel(a.wrapUpTimer);
    a.wrapUpUntil = null;
    this.#rest(a, cause);
  }

  /**
   * A status chosen while ringing or on a call is recorded now (the agent gets
   * no further offers) and shown when the ring or call ends; during wrap-up it
   * applies at once and ends the wrap-up.
   */
  #statusChanged(agentId: string, status: Presence, until: number | null, reason: string): void {
    const a = this.#agents.get(agentId);
    if (!a || a.removed) return;
    if (status === 'available') a.missedInRow = 0;
    this.#setPresence(a, status, until, reason);
    if (a.wrapUpUntil !== null && a.activeCalls === 0) {
      a.wrapUpTimer = this.#agenda.cancel(a.wrapUpTimer);
      a.wrapUpUntil = null;
    }
    this.#rest(a, reason);
  }

  #setPresence(a: AgentRec, status: Presence, until: number | null, reason: string): void {
    a.breakTimer = this.#agenda.cancel(a.breakTimer);
    // A break whose end has already passed is no break.
    const s: Presence =
      status === 'break' && until !== null && until <= this.#now ? 'available' : status;
    a.presence = s;
    a.presenceReason = reason;
    if (s === 'break' && until !== null) {
      a.breakTimer = this.#agenda.schedule(until, () => {
        a.breakTimer = null;
        if (a.presence === 'break') {
          a.presence = 'available';
          a.presenceReason = 'break over';
          this.#rest(a, 'break over');
        }
      });
    }
  }

  // ------------------------------------------------------------ agent FSM

  /** Moves the agent to the state its activity and presence call for, then re-files it. */
  #rest(a: AgentRec, cause: string): void {
    let to: AgentState;
    if (a.offer) to = 'ringing';
    else if (a.activeCalls > 0) to = 'onCall';
    else if (a.wrapUpUntil !== null) to = 'wrapUp';
    else to = a.presence;
    this.#move(a, to, cause);
    this.#refresh(a);
  }

  /** The one place agent states change: validated against the transition table. */
  #move(a: AgentRec, to: AgentState, cause: string): void {
    if (!checkAgentTransition(a.id, a.state, to)) return;
    const from = a.state;
    a.state = to;
    a.stateSince = this.#now;
    if (to === 'available') a.idleSince = this.#now;
    this.#out.push({ type: 'agentStateChanged', agentId: a.id, from, to, cause });
  }

  /**
   * Recomputes whether the agent is free and re-files it in the free index of
   * each department (only where its key changed), keeping the per-department
   * logged-in and serving counts in step.
   */
  #refresh(a: AgentRec): void {
    const loggedIn = !a.removed && a.presence !== 'offline' && reachable(a);
    const serving = loggedIn && a.presence === 'available';
    const free =
      serving &&
      a.offer === null &&
      (a.state === 'available' ||
        (a.state === 'onCall' && a.activeCalls < a.cfg.maxConcurrentCalls));
    a.free = free;
    for (const m of a.memberships.values()) this.#refile(m, loggedIn, serving, free);
  }

  #refile(m: MembershipRec, loggedIn: boolean, serving: boolean, free: boolean): void {
    const d = m.dept;
    const li = loggedIn && m.callsEnabled;
    const sv = serving && m.callsEnabled;
    if (li !== m.countsLoggedIn) {
      d.loggedIn += li ? 1 : -1;
      m.countsLoggedIn = li;
      if (!li && d.loggedIn === 0) this.#noAgentCheck.add(d);
    }
    if (sv !== m.countsServing) {
      d.serving += sv ? 1 : -1;
      m.countsServing = sv;
    }
    const want = free && m.callsEnabled;
    if (m.entry) {
      if (want) {
        const [k1, k2] = strategyKey(d.cfg.strategy, rankFacts(m));
        if (k1 === m.entry.k1 && k2 === m.entry.k2) return;
      }
      d.free.delete(m.entry);
      m.entry = null;
    }
    if (want) {
      const [k1, k2] = strategyKey(d.cfg.strategy, rankFacts(m));
      m.entry = { agent: m.agent, id: m.agent.id, k1, k2 };
      d.free.insert(m.entry);
      this.#dirty.add(d);
    }
  }

  // --------------------------------------------------------------- rings

  #startRing(call: CallRec, a: AgentRec, decision: Decision | undefined): void {
    const d = call.dept;
    const id = `${call.id}/${++call.attemptSeq}`;
    const timeoutMs = d.cfg.ringTimeoutS * 1000;
    const att: AttemptRec = { id, call, agent: a, timer: null };
    att.timer = this.#agenda.schedule(this.#now + timeoutMs, () => {
      att.timer = null;
      this.#out.push({
        type: 'cancelRing',
        callId: call.id,
        agentId: a.id,
        attemptId: id,
        reason: 'timeout',
      });
      this.#missed(att, 'timeout');
    });
    call.attempts.set(id, att);
    call.tried.add(a.id);
    this.#attempts.set(id, att);
    a.offer = att;
    a.stats.offered++;
    d.stats.ringAttempts++;
    const entry = a.memberships.get(d.id)?.entry;
    if (d.cfg.strategy === 'round-robin' && entry) d.lastOffered = entry;
    const ring: AcdAction = {
      type: 'ring',
      callId: call.id,
      departmentId: d.id,
      agentId: a.id,
      attemptId: id,
      timeoutMs,
      timeoutAt: this.#now + timeoutMs,
    };
    if (decision) ring.decision = decision;
    this.#out.push(ring);
    this.#rest(a, 'offered');
  }

  /** Removes the attempt from the books; the caller settles the agent. */
  #endAttempt(att: AttemptRec): void {
    att.timer = this.#agenda.cancel(att.timer);
    att.call.attempts.delete(att.id);
    this.#attempts.delete(att.id);
    if (att.agent.offer === att) att.agent.offer = null;
  }

  #cancelAttempts(call: CallRec, reason: CancelReason): void {
    for (const att of [...call.attempts.values()]) {
      this.#endAttempt(att);
      this.#out.push({
        type: 'cancelRing',
        callId: call.id,
        agentId: att.agent.id,
        attemptId: att.id,
        reason,
      });
      this.#rest(att.agent, `ring cancelled: ${reason}`);
      if (att.agent.removed && att.agent.activeCalls === 0) this.#agents.delete(att.agent.id);
    }
  }

  /** A ring of a waiting call ended unanswered: the call can take an offer again. */
  #requeue(call: CallRec): void {
    if (!this.#calls.has(call.id) || call.agent) return;
    if (!call.dept.waiting.has(call)) return;
    // Still ringing others (ring-all, or rings left from before a switch away from it).
    if (call.attempts.size > 0 && call.dept.cfg.strategy !== 'ring-all') return;
    if (!call.dept.ready.has(call)) call.dept.ready.insert(call);
    this.#dirty.add(call.dept);
    if (call.dept.loggedIn === 0) this.#noAgentCheck.add(call.dept);
    this.#lostRing.push(call);
  }

  #unqueue(call: CallRec): void {
    const d = call.dept;
    d.waiting.delete(call);
    d.ready.delete(call);
    call.maxWaitTimer = this.#agenda.cancel(call.maxWaitTimer);
    call.roundTimer = this.#agenda.cancel(call.roundTimer);
    call.announceTimer = this.#agenda.cancel(call.announceTimer);
  }

  #forgetCall(call: CallRec): void {
    this.#calls.delete(call.id);
  }

  // ------------------------------------------------------------ dispatch

  /**
   * Runs after every event and timer: matches ready calls with free agents
   * until no pair is left (work conservation), then does the per-call
   * bookkeeping (announcements, retry rounds, no-agent).
   */
  #settle(): void {
    do {
      this.#checkNoAgent();
      // A call whose ring ended with every free agent tried starts its next round before
      // the dispatch (with no retry delay it competes at once, in its place in the queue);
      // one that hoped for an agent a call ahead of it took starts it after.
      const lost = this.#lostRing.splice(0);
      const hoping = lost.filter((call) => this.#hasFreeUntried(call));
      for (const call of lost) if (!hoping.includes(call)) this.#startRoundDelay(call);
      this.#dispatch();
      for (const call of hoping) this.#startRoundDelay(call);
    } while (this.#dirty.size > 0 || this.#noAgentCheck.size > 0);
    for (const call of this.#entered.splice(0)) {
      if (!this.#calls.has(call.id) || call.agent || !call.dept.waiting.has(call)) continue;
      if (call.attempts.size === 0) this.#announce(call, 'queued');
      this.#scheduleReminder(call);
    }
  }

  #hasFreeUntried(call: CallRec): boolean {
    let found = false;
    call.dept.free.walk((e) => {
      found = !call.tried.has(e.id);
      return !found;
    });
    return found;
  }

  /**
   * A ring ended and no free untried agent took the call: every free agent has
   * been tried in this round, so a new round (tried list cleared) starts after
   * the retry delay, and never sooner than `minRoundIntervalMs` after the
   * round before it started (so a round whose rings all failed at once never
   * starts the next one in the same event). Agents not yet tried who become
   * free meanwhile are still offered the call.
   */
  #startRoundDelay(call: CallRec): void {
    if (!this.#calls.has(call.id) || call.agent || call.attempts.size > 0 || call.roundTimer)
      return;
    const startAt = Math.max(
      this.#now + call.dept.cfg.retryDelayS * 1000,
      call.roundStartedAt + this.#minRoundMs,
    );
    const newRound = () => {
      call.tried.clear();
      call.roundStartedAt = this.#now;
      if (call.dept.ready.has(call)) this.#dirty.add(call.dept);
    };
    if (startAt <= this.#now) {
      newRound();
      return;
    }
    call.roundTimer = this.#agenda.schedule(startAt, () => {
      call.roundTimer = null;
      newRound();
    });
  }

  #scheduleReminder(call: CallRec): void {
    const every = call.dept.cfg.announceIntervalS;
    if (every <= 0) return;
    call.announceTimer = this.#agenda.schedule(this.#now + every * 1000, () => {
      call.announceTimer = null;
      if (call.attempts.size === 0) this.#announce(call, 'reminder');
      this.#scheduleReminder(call);
    });
  }

  #announce(call: CallRec, kind: 'queued' | 'reminder'): void {
    const { position, expectedWaitS } = this.#estimateFor(call);
    this.#out.push({ type: 'announce', callId: call.id, kind, position, expectedWaitS });
  }

  #estimateFor(call: CallRec) {
    const d = call.dept;
    const position = d.waiting.rank(call) + 1;
    return { position, expectedWaitS: expectedWaitS(position, d.handleTimes.average(), d.serving) };
  }

  /** Departments whose last logged-in agent left: their waiting calls get the no-agent action. */
  #checkNoAgent(): void {
    for (const d of this.#noAgentCheck) {
      this.#noAgentCheck.delete(d);
      if (d.loggedIn > 0 || !this.#depts.has(d.id)) continue;
      for (const call of d.waiting.toArray()) {
        if (call.attempts.size > 0) continue; // a ring in progress may still be answered
        this.#leaveQueue(call, d.cfg.noAgentAction, 'no-agent');
      }
    }
  }

  #dispatch(): void {
    if (this.#dirty.size === 0) return;
    // Heads of the departments that may have a match, best call first across departments.
    const heads = new Heap<{ d: DeptRec; call: CallRec }>((x, y) => callBefore(x.call, y.call) < 0);
    for (const d of this.#dirty) {
      const head = d.ready.first();
      if (head && d.free.size > 0) heads.push({ d, call: head });
    }
    this.#dirty.clear();
    for (let h = heads.pop(); h; h = heads.pop()) {
      const { d, call } = h;
      if (d.free.size === 0) continue;
      if (d.ready.has(call)) this.#offer(call);
      const next = d.ready.after(call);
      if (next && d.free.size > 0) heads.push({ d, call: next });
    }
  }

  /** Offers the call to the agent(s) its department's strategy picks among free untried agents. */
  #offer(call: CallRec): void {
    const { chosen, sticky } = chooseAgents(call, this.#random, this.#stickyAgent(call));
    if (chosen.length === 0) return;
    const decision = this.#explain ? explainDecision(call, chosen, sticky, this.#now) : undefined;
    if (call.dept.cfg.strategy !== 'ring-all') call.dept.ready.delete(call);
    for (const a of chosen) this.#startRing(call, a, decision);
  }

  /** The caller's last agent, if served within the window and free in this department now. */
  #stickyAgent(call: CallRec): AgentRec | null {
    const w = call.dept.cfg.stickyWindowS;
    if (w <= 0) return null;
    const last = this.#sticky.get(call.caller);
    if (!last || this.#now - last.at > w * 1000 || call.tried.has(last.agentId)) return null;
    const m = call.dept.members.get(last.agentId);
    return m?.entry ? m.agent : null;
  }

  // -------------------------------------------------------------- timers

  #runTimers(until: number): void {
    for (let t = this.#agenda.popDue(until); t; t = this.#agenda.popDue(until)) {
      this.#now = Math.max(this.#now, t.at);
      t.fire(t.at);
      this.#settle();
    }
  }

  #scheduleDayReset(): void {
    this.#agenda.schedule(nextLocalMidnight(this.#statsTz, this.#now), () => {
      for (const a of this.#agents.values()) {
        a.stats.answeredToday = 0;
        a.stats.talkMsToday = 0;
        this.#refresh(a);
      }
      this.#scheduleDayReset();
    });
  }

  // -------------------------------------------------------------- config

  /** Checks a whole change before any of it is applied, so a bad value leaves the engine untouched. */
  #validateConfig(ch: ConfigChanges): void {
    for (const c of ch.departments ?? []) validateDepartment(c);
    for (const c of ch.agents ?? []) validateAgent(c);
    const newAgents = new Set((ch.agents ?? []).map((a) => a.id));
    const newDepts = new Set((ch.departments ?? []).map((d) => d.id));
    for (const m of ch.memberships ?? []) {
      validateMembership(m);
      const a = this.#agents.get(m.agentId);
      if (!newAgents.has(m.agentId) && (!a || a.removed)) {
        throw new AcdConfigError(`membership: unknown agent ${m.agentId}`);
      }
      if (!newDepts.has(m.departmentId) && !this.#depts.has(m.departmentId)) {
        throw new AcdConfigError(`membership: unknown department ${m.departmentId}`);
      }
    }
  }

  #applyConfig(ch: ConfigChanges): void {
    for (const c of ch.departments ?? []) this.#upsertDepartment(c);
    for (const c of ch.agents ?? []) this.#upsertAgent(c);
    for (const c of ch.memberships ?? []) this.#upsertMembership(c);
    for (const r of ch.removedMemberships ?? []) this.#removeMembership(r.agentId, r.departmentId);
    for (const id of ch.removedAgents ?? []) this.#removeAgent(id);
    for (const id of ch.removedDepartments ?? []) this.#removeDepartment(id);
  }

  #upsertDepartment(cfg: DepartmentConfig): void {
    const d = this.#depts.get(cfg.id);
    if (!d) {
      this.#depts.set(cfg.id, {
        id: cfg.id,
        cfg,
        members: new Map(),
        free: new OrderedSet(compareEntries),
        waiting: new OrderedSet(callBefore),
        ready: new OrderedSet(callBefore),
        lastOffered: null,
        loggedIn: 0,
        serving: 0,
        handleTimes: new RecentHandleTimes(this.#handleWindow, this.#defaultHandleS),
        stats: emptyDepartmentStats(),
      });
      return;
    }
    const strategyChanged = d.cfg.strategy !== cfg.strategy;
    d.cfg = cfg;
    if (strategyChanged) {
      // Keys differ between strategies: re-file every free member.
      d.free = new OrderedSet(compareEntries);
      d.lastOffered = null;
      for (const m of d.members.values()) m.entry = null;
      for (const m of d.members.values()) this.#refresh(m.agent);
      // Ringing calls take further offers only under ring-all.
      for (const call of d.waiting.toArray()) {
        const ready = call.attempts.size === 0 || cfg.strategy === 'ring-all';
        if (ready && !d.ready.has(call)) d.ready.insert(call);
        if (!ready) d.ready.delete(call);
      }
    }
    this.#dirty.add(d);
  }

  #upsertAgent(cfg: AgentConfig): void {
    const a = this.#agents.get(cfg.id);
    if (a && !a.removed) {
      a.cfg = cfg;
      this.#refresh(a);
      return;
    }
    const rec: AgentRec = {
      id: cfg.id,
      cfg,
      state: 'offline',
      presence: 'offline',
      presenceReason: null,
      breakTimer: null,
      devices: cfg.registeredDevices,
      activeCalls: 0,
      offer: null,
      wrapUpUntil: null,
      wrapUpTimer: null,
      idleSince: this.#now,
      stateSince: this.#now,
      missedInRow: 0,
      memberships: new Map(),
      removed: false,
      free: false,
      stats: emptyAgentStats(),
    };
    this.#agents.set(cfg.id, rec);
    this.#setPresence(rec, cfg.status, cfg.statusUntil, 'configured');
    this.#rest(rec, 'configured');
  }

  #upsertMembership(cfg: MembershipConfig): void {
    const a = this.#agents.get(cfg.agentId);
    const d = this.#depts.get(cfg.departmentId);
    if (!a || a.removed || !d) return; // checked in #applyConfig
    let m = a.memberships.get(d.id);
    if (!m) {
      m = {
        agent: a,
        dept: d,
        priority: cfg.priority,
        callsEnabled: cfg.callsEnabled,
        entry: null,
        countsLoggedIn: false,
        countsServing: false,
      };
      a.memberships.set(d.id, m);
      d.members.set(a.id, m);
    } else {
      m.priority = cfg.priority;
      m.callsEnabled = cfg.callsEnabled;
    }
    this.#refresh(a);
  }

  #removeMembership(agentId: string, departmentId: string): void {
    const a = this.#agents.get(agentId);
    const m = a?.memberships.get(departmentId);
    if (!a || !m) return;
    m.callsEnabled = false;
    this.#refresh(a);
    a.memberships.delete(departmentId);
    m.dept.members.delete(agentId);
  }

  #removeAgent(id: string): void {
    const a = this.#agents.get(id);
    if (!a || a.removed) return;
    if (a.offer) {
      const att = a.offer;
      this.#endAttempt(att);
      this.#out.push({
        type: 'cancelRing',
        callId: att.call.id,
        agentId: a.id,
        attemptId: att.id,
        reason: 'agent-removed',
      });
      this.#requeue(att.call);
    }
    for (const depId of [...a.memberships.keys()]) this.#removeMembership(id, depId);
    a.removed = true;
    a.wrapUpTimer = this.#agenda.cancel(a.wrapUpTimer);
    a.wrapUpUntil = null;
    this.#setPresence(a, 'offline', null, 'removed');
    this.#rest(a, 'removed');
    if (a.activeCalls === 0) this.#agents.delete(id);
  }

  #removeDepartment(id: string): void {
    const d = this.#depts.get(id);
    if (!d) return;
    for (const call of d.waiting.toArray()) {
      this.#cancelAttempts(call, 'department-removed');
      this.#unqueue(call);
      this.#reject(call, 'department-removed', { kind: 'hangup' });
    }
    for (const agentId of [...d.members.keys()]) this.#removeMembership(agentId, id);
    this.#depts.delete(id);
    this.#dirty.delete(d);
  }

  // ------------------------------------------------------------- queries

  /** Position (1 = next) and expected wait of a waiting call; null if not waiting. */
  estimate(callId: string): { position: number; expectedWaitS: number | null } | null {
    const call = this.#calls.get(callId);
    if (!call || call.agent || !call.dept.waiting.has(call)) return null;
    return this.#estimateFor(call);
  }

  /** Queue lengths, longest waits and agent counts per state, for the wallboard. */
  live(): AcdLive {
    return buildLive(this.#now, this.#depts.values(), this.#agents.values());
  }

  /** Waiting calls, agent states and connected calls for the live view (no statistics, no copies). */
  liveState(): AcdLiveState {
    return buildLiveState(
      this.#now,
      this.#depts.values(),
      this.#agents.values(),
      this.#calls.values(),
    );
  }

  /** A read-only picture of the whole engine, for the wallboard, tests and debugging. */
  snapshot(): AcdSnapshot {
    return buildSnapshot(
      this.#now,
      this.#depts.values(),
      this.#agents.values(),
      this.#calls.values(),
    );
  }
}

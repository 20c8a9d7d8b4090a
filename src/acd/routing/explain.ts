import type { Decision, Skipped, SkipReason } from '../model/decision.ts';
import {
  type AgentRec,
  type CallRec,
  type MembershipRec,
  rankFacts,
  reachable,
} from './records.ts';
import { describeKey } from './strategies.ts';

/** Builds the explanation of a decision: one pass over the department's members. */
export function explainDecision(
  call: CallRec,
  chosen: AgentRec[],
  sticky: boolean,
  now: number,
): Decision {
  const d = call.dept;
  const chosenIds = new Set(chosen.map((a) => a.id));
  const candidates: string[] = [];
  d.free.walk((e) => {
    if (!call.tried.has(e.id)) candidates.push(e.id);
    return true;
  });
  const skipped: Skipped[] = [];
  for (const m of d.members.values()) {
    const a = m.agent;
    if (chosenIds.has(a.id)) continue;
    const reason = skipReason(m, call);
    const s: Skipped = { agentId: a.id, reason };
    if (reason === 'outranked') s.detail = describeKey(d.cfg.strategy, rankFacts(m), now);
    skipped.push(s);
  }
  return {
    callId: call.id,
    departmentId: d.id,
    strategy: d.cfg.strategy,
    at: now,
    sticky,
    candidates,
    chosen: [...chosenIds],
    skipped,
  };
}

/** Why a member was not offered the call, most fundamental reason first. */
export function skipReason(m: MembershipRec, call: CallRec): SkipReason {
  const a = m.agent;
  if (!m.callsEnabled) return 'calls-off';
  if (a.offer) return a.offer.call === call ? 'ringing-this-call' : 'ringing-elsewhere';
  if (a.presence === 'offline' || a.removed) return 'offline';
  if (!reachable(a)) return 'unreachable';
  if (a.state === 'wrapUp') return 'wrap-up';
  if (a.activeCalls >= a.cfg.maxConcurrentCalls) return 'on-call';
  if (a.presence === 'away') return 'away';
  if (a.presence === 'break') return 'on-break';
  if (a.state === 'onCall' && !m.entry) return 'on-call';
  if (call.tried.has(a.id)) return 'already-tried';
  return 'outranked';
}

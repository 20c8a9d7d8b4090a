import type { AgentRec, CallRec, DeptRec } from './records.ts';
import type { FreeEntry } from './strategies.ts';

export interface Choice {
  chosen: AgentRec[];
  /** The caller's last agent was chosen (sticky rule). */
  sticky: boolean;
}

/**
 * Picks the agent(s) for a call from its department's free index, skipping
 * agents already tried in this round: the sticky agent if free, else the
 * strategy's rule (see STRATEGY_RULES). Reads only the index entries it
 * needs: the first untried one in key order, a random rank, or all (ring-all).
 */
export function chooseAgents(
  call: CallRec,
  random: () => number,
  stickyAgent: AgentRec | null,
): Choice {
  const d = call.dept;
  const strategy = d.cfg.strategy;
  const untried = (e: FreeEntry<AgentRec>) => !call.tried.has(e.id);
  // Ring-all already rings the caller's last agent if free: stickiness would only hold others back.
  if (stickyAgent && strategy !== 'ring-all') return { chosen: [stickyAgent], sticky: true };
  const chosen: AgentRec[] = [];
  if (strategy === 'ring-all') {
    d.free.walk((e) => {
      if (untried(e)) chosen.push(e.agent);
      return true;
    });
  } else if (strategy === 'random') {
    const pick = randomPick(d, untried, random);
    if (pick) chosen.push(pick);
  } else {
    // Round-robin: the last offered agent's entry still marks a position in id order.
    const after = strategy === 'round-robin' ? (d.lastOffered ?? undefined) : undefined;
    const take = (e: FreeEntry<AgentRec>) => {
      if (!untried(e)) return true;
      chosen.push(e.agent);
      return false;
    };
    d.free.walk(take, after);
    if (chosen.length === 0 && after) d.free.walk(take);
  }
  return { chosen, sticky: false };
}

/** Uniform over free untried agents: rejection sampling by rank, then an exact draw. */
function randomPick(
  d: DeptRec,
  untried: (e: FreeEntry<AgentRec>) => boolean,
  random: () => number,
): AgentRec | null {
  const n = d.free.size;
  for (let i = 0; i < 4; i++) {
    const e = d.free.at(Math.floor(random() * n));
    if (e && untried(e)) return e.agent;
  }
  const pool: AgentRec[] = [];
  d.free.walk((e) => {
    if (untried(e)) pool.push(e.agent);
    return true;
  });
  if (pool.length === 0) return null;
  return pool[Math.floor(random() * pool.length)] ?? null;
}

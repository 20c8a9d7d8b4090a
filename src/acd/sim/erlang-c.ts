/**
 * Erlang C: M/M/c queue with c agents, offered load A = λ × AHT erlangs (A < c).
 *
 *   Erlang B by recursion:  B(0) = 1,  B(k) = A·B(k-1) / (k + A·B(k-1))
 *   probability of waiting:  C = c·B(c) / (c − A·(1 − B(c)))
 *   average speed of answer: ASA = C · AHT / (c − A)
 *   service level:           P(wait ≤ t) = 1 − C · exp(−(c − A) · t / AHT)
 */
export interface ErlangC {
  probabilityOfWaiting: number;
  averageSpeedOfAnswerS: number;
  serviceLevel: number;
}

export function erlangC(
  agents: number,
  loadErlangs: number,
  ahtS: number,
  serviceLevelS: number,
): ErlangC {
  if (loadErlangs >= agents)
    throw new RangeError(`load ${loadErlangs} erlangs needs more than ${agents} agents`);
  let b = 1;
  for (let k = 1; k <= agents; k++) b = (loadErlangs * b) / (k + loadErlangs * b);
  const c = (agents * b) / (agents - loadErlangs * (1 - b));
  return {
    probabilityOfWaiting: c,
    averageSpeedOfAnswerS: (c * ahtS) / (agents - loadErlangs),
    serviceLevel: 1 - c * Math.exp((-(agents - loadErlangs) * serviceLevelS) / ahtS),
  };
}

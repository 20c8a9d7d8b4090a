/**
 * Agent feature codes (`*51` available, `*52` away) dialled from a registered
 * softphone: the decision is `decideFeatureCode`'s; this
 * carries it out on the INVITE. Success is a short answer: 200 with every
 * offered stream refused (port 0, RFC 3264 §6), then BYE at once; a refusal
 * is a 403 / 404 final response.
 */
import { decideFeatureCode, type FeatureCodeAgent } from './feature-codes.ts';
import type { Logger } from '../ports/index.ts';
import type { InboundCall } from '../sip/sip.ts';

export interface FeatureCodePort {
  /** The agent as the feature-code rules need it, or null. */
  agent(agentId: string): Promise<FeatureCodeAgent | null>;
  /** Persists the status (the store); call control tells the engine. */
  setStatus(agentId: string, status: 'available' | 'away'): Promise<void>;
}

/** An answer that refuses every offered stream: the call carries no media. */
export function refusedMediaAnswer(offer: string): string {
  const lines = offer.split(/\r?\n/).filter((l) => l !== '');
  const out: string[] = [];
  for (const l of lines) {
    if (l.startsWith('o=')) out.push('o=acd 1 1 IN IP4 0.0.0.0');
    else if (l.startsWith('m=')) out.push(l.replace(/^m=(\S+) \d+/, 'm=$1 0'));
    else if (l.startsWith('v=') || l.startsWith('s=') || l.startsWith('t=') || l.startsWith('c='))
      out.push(l);
  }
  if (!out.some((l) => l.startsWith('v='))) out.unshift('v=0');
  return `${out.join('\r\n')}\r\n`;
}

export async function handleFeatureCode(
  call: InboundCall,
  dialled: string,
  agentId: string | null,
  port: FeatureCodePort,
  onStatusSet: (agentId: string, status: 'available' | 'away') => void,
  logger: Logger,
): Promise<void> {
  const agent = agentId ? await port.agent(agentId) : null;
  const decision = decideFeatureCode(dialled, agent);
  switch (decision.kind) {
    case 'not-a-feature-code':
      call.reject(404, 'Not Found');
      return;
    case 'refuse':
      logger.info({ agentId, reason: decision.reason }, 'feature code refused');
      call.reject(decision.sipStatus, decision.sipStatus === 403 ? 'Forbidden' : 'Not Found');
      return;
    case 'set-status': {
      if (decision.changed) await port.setStatus(decision.agentId, decision.status);
      onStatusSet(decision.agentId, decision.status);
      const dialog = await call.answer(refusedMediaAnswer(call.sdp));
      await dialog.end('feature code done');
      return;
    }
  }
}

/**
 * Ends breaks on time: an agent put on a break "until 13:00" becomes
 * available at 13:00 by itself. Every `intervalMs` the agent status service
 * ends the breaks that are due (status, event log and history in one
 * transaction), tells routing and announces each change as `agent.status`
 * (source 'system'). The timer is the layer's only resource
 * and is cleared once, on close; a check still running is awaited.
 */
import type { LayerStarter } from './runtime/layer.ts';

export interface BreakEnderOptions {
  intervalMs: number;
  now?: () => Date;
}

export function breakEnder(options: BreakEnderOptions): LayerStarter {
  const now = options.now ?? (() => new Date());
  return async ({ agentStatus, logger }) => {
    let running: Promise<void> | null = null;
    let closed = false;
    const check = async () => {
      try {
        await agentStatus.endExpiredBreaks(now());
      } catch (err) {
        // A database hiccup: the next tick tries again.
        logger.warn({ err }, 'ending due breaks failed');
      }
    };
    const timer = setInterval(() => {
      if (closed || running) return;
      running = check().finally(() => {
        running = null;
      });
    }, options.intervalMs);
    timer.unref();
    return {
      name: 'break-ender',
      async close() {
        closed = true;
        clearInterval(timer);
        await running;
      },
    };
  };
}

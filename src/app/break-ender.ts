/**
 * Ends breaks on time: an agent put on a break "until 13:00" becomes
 * available at 13:00 by itself. Every `intervalMs` the store ends the breaks
 * that are due (status, event log and history in one transaction) and each
 * change goes out as an `agent.status` event (source 'system'), which call
 * control and the wallboards follow. The timer is the layer's only resource
 * and is cleared once, on close; a check still running is awaited.
 */
import type { LayerStarter } from './start-app.ts';

export interface BreakEnderOptions {
  intervalMs: number;
  now?: () => Date;
}

export function breakEnder(options: BreakEnderOptions): LayerStarter {
  const now = options.now ?? (() => new Date());
  return async ({ store, events, logger }) => {
    let running: Promise<void> | null = null;
    let closed = false;
    const check = async () => {
      try {
        const changes = await store.agentStatus.endExpiredBreaks(now());
        for (const change of changes) events.publish('agent.status', change);
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

/**
 * Keeps the report rollups' dirty set small: every `intervalMs` it
 * recomputes the quarter hours marked dirty by the few changes a write
 * cannot add to the rollups itself (a call moved to another department
 * after its rings, a new service level: `store.reports.catchUp()`,
 * sql/0016), so a report or the wallboard's "today" rarely finds one to
 * recompute before it reads. A pass with nothing marked is one lock-free query. Every
 * instance may run it, a standby too: passes take the rollups' lock in turn.
 *
 * The timer is the layer's only resource: re-armed after each pass (a slow
 * pass never overlaps the next), cleared once on close; a pass still
 * running is awaited.
 */
import type { LayerStarter } from './runtime/layer.ts';

export interface ReportRollupsCatchUpOptions {
  /** Between the end of one pass and the start of the next. */
  intervalMs: number;
}

export function reportRollupsCatchUp(options: ReportRollupsCatchUpOptions): LayerStarter {
  return async ({ store, logger }) => {
    const log = logger.child({ component: 'report-rollups' });
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> | null = null;
    let closed = false;
    const arm = () => {
      if (closed) return;
      timer = setTimeout(pass, options.intervalMs);
      timer.unref();
    };
    const pass = () => {
      timer = undefined;
      running = store.reports
        .catchUp()
        .then((marks) => {
          if (marks > 0) log.debug({ marks }, 'report rollups brought up to date');
        })
        // A database hiccup: the next pass, or the next report, does the work.
        .catch((err: unknown) => log.warn({ err }, 'report rollups catch-up failed'))
        .finally(() => {
          running = null;
          arm();
        });
    };
    arm();
    return {
      name: 'report-rollups-catch-up',
      async close() {
        closed = true;
        if (timer) clearTimeout(timer);
        timer = undefined;
        await running;
      },
    };
  };
}

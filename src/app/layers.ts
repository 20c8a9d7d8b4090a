/**
 * The layers `npm start` runs after telephony (start-telephony.ts), in start
 * order (they close in reverse):
 *
 *   change-feed   changes made elsewhere (another instance, SQL by hand) as events (LISTEN/NOTIFY)
 *   break-ender   ends timed breaks on time (through the agent status service)
 *   recording-retention  deletes call recordings past their department's retention, daily,
 *                        and the `.part` files a crash left (at start too)
 *   report-rollups-catch-up  recomputes the report rollups' few dirty quarter hours, every few seconds
 *
 * Each is a `LayerStarter` receiving the config, logger, store, event feed,
 * metrics registry and agent status service.
 */
import { breakEnder } from './break-ender.ts';
import { changeFeed } from './leadership/change-feed.ts';
import { recordingRetention } from './recordings/recording-retention.ts';
import { reportRollupsCatchUp } from './report-rollups-catch-up.ts';
import type { LayerStarter } from './runtime/layer.ts';

/** How often due breaks are ended: an agent is back within this of the break's end. */
const BREAK_CHECK_MS = 5000;

/**
 * Between two catch-up passes of the report rollups: a report finds at most
 * about this much of the call log's writes to bring up to date first.
 */
const ROLLUPS_CATCH_UP_MS = 5000;

export function productionLayers(): LayerStarter[] {
  return [
    // After call control, which follows the events it publishes.
    changeFeed(),
    // Ends timed breaks through the agent status service.
    breakEnder({ intervalMs: BREAK_CHECK_MS }),
    // Deletes recordings (file and row) past their department's retention.
    recordingRetention(),
    // Keeps the report rollups' dirty set small, so reports rarely wait for it.
    reportRollupsCatchUp({ intervalMs: ROLLUPS_CATCH_UP_MS }),
  ];
}

/**
 * Builds the live view on demand (GET /api/live, the WebSocket's first
 * message) and pushes a fresh `live.snapshot` on the bus after changes while
 * somebody watches.
 *
 * The routing engine's picture comes in as a function (`source`): the
 * composition root hands over the call-control layer's engine, so the API
 * never reaches into call control. Names and memberships are read from the
 * store once and kept until an API event changes them; today's figures (a
 * few rollup rows per department) are re-read at most every `todayMaxAgeMs`.
 *
 * Pushes: any call or agent event schedules one rebuild `debounceMs` later
 * (events in between share it); a call's end schedules one more after
 * `settleMs`, once the call log has written it, so today's figures include it.
 * Today's figures older than `todayMaxAgeMs` are served while a refresh
 * runs in the background; only after a call's end does a view wait for them.
 */
import type { AcdLiveState } from '../../acd/index.ts';
import type { AgentsRepo } from '../../store/agents.ts';
import type { DepartmentsRepo } from '../../store/departments.ts';
import type { MembershipsRepo } from '../../store/memberships.ts';
import type { CallFigures } from '../../store/report-figures.ts';
import type { ReportsRepo } from '../../store/reports.ts';
import type { ApiEvents } from './api-events.ts';
import type { BusEvent } from './bus.ts';
import { buildLiveView, type LiveInputs, type LiveView } from '../live/live-view.ts';

/** The engine's picture now, or null when no router runs in this process. */
export type LiveSource = () => AcdLiveState | null;

export interface LiveServiceOptions {
  store: {
    departments: DepartmentsRepo;
    agents: AgentsRepo;
    memberships: MembershipsRepo;
    reports: ReportsRepo;
  };
  events: ApiEvents;
  source: LiveSource;
  /** Whether anybody watches (the stream's live clients); no pushes otherwise. */
  watched: () => boolean;
  now?: () => number;
  debounceMs?: number;
  settleMs?: number;
  todayMaxAgeMs?: number;
  onError?: (err: unknown) => void;
}

export interface LiveService {
  view(): Promise<LiveView>;
  /** Stops following events and cancels a scheduled push. */
  close(): void;
}

type Config = Pick<LiveInputs, 'departments' | 'agents' | 'memberships'>;

const CONFIG_EVENT = /^(department|agent|membership)\.(created|updated|deleted|status)$/;
const LIVE_EVENT = /^(call|agent|department|membership)\./;

export function createLiveService(options: LiveServiceOptions): LiveService {
  const { store, events, source } = options;
  const now = options.now ?? Date.now;
  const debounceMs = options.debounceMs ?? 150;
  // The call-log writer commits a call's end within tens of milliseconds
  // (it gathers 25 ms); 400 ms leaves room for a busy database and keeps the
  // wallboard's figures within a second of the event.
  const settleMs = options.settleMs ?? 400;
  // Today's figures are a few rollup rows per department: fresh each second.
  const todayMaxAgeMs = options.todayMaxAgeMs ?? 1000;

  let config: Promise<Config> | null = null;
  let today: { at: number; value: Promise<Map<string, CallFigures>> } | null = null;
  const loadConfig = (): Promise<Config> => {
    const loading = Promise.all([
      store.departments.list(),
      store.agents.list(),
      store.memberships.list(),
    ]).then(([departments, agents, memberships]) => ({ departments, agents, memberships }));
    // A failed read is not kept: the next view tries again.
    loading.catch(() => {
      if (config === loading) config = null;
    });
    return loading;
  };
  // Stale while refreshing: after the first read the view never waits for the
  // database; a refresh older than `todayMaxAgeMs` starts in the background.
  let refreshing: Promise<Map<string, CallFigures>> | null = null;
  const refreshToday = () => {
    refreshing ??= store.reports
      .today()
      .then((value) => {
        today = { at: now(), value: Promise.resolve(value) };
        return value;
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  };
  const loadToday = (): Promise<Map<string, CallFigures>> => {
    if (today === null) return refreshToday();
    if (now() - today.at >= todayMaxAgeMs) {
      refreshToday().catch((err: unknown) => options.onError?.(err));
    }
    return today.value;
  };

  async function view(): Promise<LiveView> {
    config ??= loadConfig();
    const [c, t] = await Promise.all([config, loadToday()]);
    // The engine's picture last, so it is the freshest part.
    return buildLiveView({ now: now(), snapshot: source(), ...c, today: t });
  }

  let pushTimer: NodeJS.Timeout | null = null;
  let settleTimer: NodeJS.Timeout | null = null;
  const push = () => {
    if (!options.watched()) return;
    view()
      .then((v) => events.publish('live.snapshot', v))
      .catch((err: unknown) => options.onError?.(err));
  };
  const schedulePush = () => {
    pushTimer ??= setTimeout(() => {
      pushTimer = null;
      push();
    }, debounceMs);
  };
  const off = events.onAny((event: BusEvent) => {
    if (CONFIG_EVENT.test(event.type)) config = null;
    if (event.type === 'call.ended') {
      // A call just ended: the next view waits for figures that may hold it.
      today = null;
      if (settleTimer) clearTimeout(settleTimer);
      settleTimer = setTimeout(() => {
        settleTimer = null;
        // Read the figures with this call in them, then push.
        refreshToday()
          .then(push)
          .catch((err: unknown) => options.onError?.(err));
      }, settleMs);
    }
    if (LIVE_EVENT.test(event.type)) schedulePush();
  });

  return {
    view,
    close() {
      off();
      if (pushTimer) clearTimeout(pushTimer);
      if (settleTimer) clearTimeout(settleTimer);
      pushTimer = null;
      settleTimer = null;
    },
  };
}

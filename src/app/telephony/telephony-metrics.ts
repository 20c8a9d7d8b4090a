/**
 * Prometheus metrics of the telephony layers, on the app's registry: the
 * embedded SIP server's counters (read at scrape time), call control's live
 * counts, and the call-log writer's queue. "Live" gauges return to 0 when idle,
 * which is what the load test and leak checks look at.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CallLogWriterMetrics } from '../../calls/recorder/call-log-writer.ts';
import type { RefusalReason } from '../../calls/inbound/refusal-log.ts';
import type { EmbeddedSipServer } from '../../edge/index.ts';
import type { CallControlRuntime } from './call-control-runtime.ts';

/** The call-log writer's metrics, and the function that removes them again. */
export function registerCallLogMetrics(registry: Registry): {
  metrics: CallLogWriterMetrics;
  remove: () => void;
} {
  const queued = new Gauge({
    name: 'acd_call_log_queued',
    help: 'Call-log events waiting to be written',
    registers: [registry],
  });
  const written = new Counter({
    name: 'acd_call_log_written_total',
    help: 'Call-log events written',
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'acd_call_log_dropped_total',
    help: 'Call-log events given up (queue full, refused by the database, shutdown)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const retried = new Counter({
    name: 'acd_call_log_retries_total',
    help: 'Failed call-log writes that will be retried',
    registers: [registry],
  });
  return {
    metrics: {
      queued: (n) => queued.set(n),
      written: (n) => written.inc(n),
      dropped: (n, reason) => dropped.inc({ reason }, n),
      retried: () => retried.inc(),
    },
    remove: () => {
      for (const name of [
        'acd_call_log_queued',
        'acd_call_log_written_total',
        'acd_call_log_dropped_total',
        'acd_call_log_retries_total',
      ])
        registry.removeSingleMetric(name);
    },
  };
}

/** Refused INVITEs by reason (their log lines are rate-limited; this counts every one). */
export function registerRefusedInviteMetric(registry: Registry): {
  count: (reason: RefusalReason) => void;
  remove: () => void;
} {
  const name = 'acd_sip_invites_refused_total';
  const refused = new Counter({
    name,
    help: 'INVITEs refused before queueing (unknown source or number, shutting down)',
    labelNames: ['reason'],
    registers: [registry],
  });
  return {
    count: (reason) => refused.inc({ reason }),
    remove: () => registry.removeSingleMetric(name),
  };
}

export interface TelephonyMetricSources {
  runtime: CallControlRuntime;
  edge: EmbeddedSipServer | null;
}

/** Registers the gauges; returns the function that removes them again. */
export function registerTelephonyMetrics(
  registry: Registry,
  src: TelephonyMetricSources,
): () => void {
  const names: string[] = [];
  const gauge = (name: string, help: string, read: () => number) => {
    names.push(name);
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  const cc = src.runtime.callControl;
  gauge('acd_calls_live', 'Calls in progress (queued, ringing or talking)', () => cc.sessions.size);
  gauge('acd_ring_attempts_live', 'Ring attempts not yet released', () => cc.attempts.size);
  gauge('acd_engine_timer_armed', '1 while the engine wake-up timer is armed', () =>
    cc.driver.wakeAt === null ? 0 : 1,
  );
  gauge(
    'acd_registered_devices_probed',
    'Registered contacts checked with OPTIONS',
    () => src.runtime.prober?.trackedCount ?? 0,
  );
  const edge = src.edge;
  if (edge) {
    const stat = (key: keyof ReturnType<EmbeddedSipServer['stats']>, help: string) =>
      gauge(`acd_sip_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`, help, () =>
        Number(edge.stats()[key]),
      );
    stat('dialogs', 'Live SIP dialogs in the embedded server');
    stat('transactions', 'Live SIP transactions in the embedded server');
    stat('timers', 'Live timers in the embedded server');
    stat('pendingRequests', 'Incoming requests waiting for the first response');
    stat('tcpConnections', 'Open SIP TCP connections');
    stat('messagesIn', 'SIP messages received');
    stat('messagesOut', 'SIP messages sent');
    stat('badMessages', 'SIP messages that did not parse');
  }
  return () => {
    for (const n of names) registry.removeSingleMetric(n);
  };
}

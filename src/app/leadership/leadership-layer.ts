/**
 * One router at a time (docs/scaling.md). With a Postgres server, instances
 * compete for the routing lease (leadership.ts); the holder opens the routing
 * gate (its SIP routes), the others stay connected and loaded with the gate
 * shut. A leader that cannot renew shuts its gate by itself before the lease
 * can pass on, says so in its log and in /readyz. A new leader closes the
 * calls that its predecessor left live in the log (`failed`, cause
 * `node-lost`): their router is gone, nobody will ever end them.
 *
 * Embedded mode (PGlite, one process) has no competitor: the gate is open
 * from the start and nothing else runs.
 */
import { closeOrphanedCalls, liveCallsNotRoutedBy } from '../../store/instances.ts';
import type { LayerContext, LayerStarter, RunningLayer } from '../start-app.ts';
import type { TelephonyWiring } from '../telephony/wiring.ts';
import { instanceId } from './instance-id.ts';
import { Leadership, type RoleChange } from './leadership.ts';
import { PostgresLease } from './lease-store.ts';
import { RoutingGate } from './routing-gate.ts';

export const NODE_LOST = 'node-lost';

export function leadershipLayer(wiring: TelephonyWiring): LayerStarter {
  return async (ctx: LayerContext): Promise<RunningLayer> => {
    const { config, store } = ctx;
    const id = instanceId(config);
    const log = ctx.logger.child({ component: 'leadership', instance: id });
    const gate = new RoutingGate(log);
    wiring.routing = gate;
    const url = config.database.url;
    if (url === null) {
      gate.open();
      log.info('embedded database: this instance routes');
      return {
        name: 'leadership',
        async close() {
          gate.shut();
          wiring.routing = null;
        },
      };
    }

    const { leaseMs, renewMs } = config.leadership;
    let takeover: Promise<void> | null = null;
    const closeOrphans = async () => {
      const orphans = await liveCallsNotRoutedBy(store.db, id);
      const closed = await closeOrphanedCalls(
        store.callLog,
        orphans.map((c) => c.id),
        NODE_LOST,
      );
      for (const c of orphans.filter((o) => closed.includes(o.id))) {
        log.warn(
          { callId: c.id, routedBy: c.routedBy },
          'closed a call of a lost instance (node-lost)',
        );
      }
    };
    const onChange = ({ role, previousHolder }: RoleChange) => {
      switch (role.kind) {
        case 'leader':
          gate.open();
          log.info({ epoch: role.epoch, previousHolder }, 'this instance now routes (leader)');
          takeover = closeOrphans()
            .catch((err: unknown) => log.error({ err }, "closing the lost instance's calls failed"))
            .finally(() => {
              takeover = null;
            });
          return;
        case 'fenced':
          gate.shut();
          log.error(
            { reason: role.reason },
            'stopped routing: this instance no longer holds the routing lease',
          );
          return;
        case 'standby':
          gate.shut();
          log.info('standby: another instance routes');
          return;
        case 'closed':
          gate.shut();
          return;
      }
    };
    const leadership = new Leadership({
      instanceId: id,
      lease: new PostgresLease({
        url,
        // A renewal that takes longer than a period counts as failed.
        timeoutMs: renewMs,
        instance: { id, host: process.env.HOSTNAME ?? '', pid: process.pid },
        onError: (err) => log.warn({ err: err.message }, 'lease connection error'),
      }),
      leaseMs,
      renewMs,
      onChange,
      onError: (err) =>
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'lease attempt failed'),
    });
    await leadership.start();
    if (leadership.role.kind === 'standby') onChange({ role: leadership.role });

    return {
      name: 'leadership',
      ready: async () => {
        const role = leadership.role;
        return role.kind === 'fenced' ? `not routing: ${role.reason}` : null;
      },
      async close() {
        await leadership.close();
        await takeover;
        wiring.routing = null;
      },
    };
  };
}

/**
 * One router at a time (docs/scaling.md). With a Postgres server, instances
 * compete for the routing lease (leadership.ts); the holder opens the routing
 * gate (its SIP routes), the others stay connected and loaded with the gate
 * shut. A leader that cannot renew shuts its gate by itself before the lease
 * can pass on, says so in its log and in /readyz. A new leader closes the
 * calls that its predecessor left live in the log (`failed`, reason
 * `node-lost`): their router is gone, nobody will ever end them; and the
 * calls an earlier run of itself left when it crashed (reason `restart`).
 * Before it opens the gate it ends the journalled legs the dead one left up
 * and notes the numbers its unanswered INVITEs may still ring
 * (`wiring.lostDialOuts`), for call control's callbacks.
 *
 * Embedded mode (PGlite, one process) has no competitor: the gate is open
 * from the start and nothing else runs.
 */
import { hangUpCallerLegs, hangUpLeg } from '../../calls/takeover/orphan-legs.ts';
import { lostDialOuts } from '../../calls/takeover/lost-dial-outs.ts';
import {
  closeOrphanedCalls,
  callerLegsOfCalls,
  liveCallsNotRoutedBy,
  liveCallsOfEarlierRun,
} from '../../store/instances.ts';
import { OpenLegsRepo } from '../../store/open-legs.ts';
import type { LayerContext, LayerStarter, RunningLayer } from '../runtime/layer.ts';
import type { TelephonyWiring } from './telephony-slot.ts';
import { instanceId } from './instance-id.ts';
import { Leadership, type RoleChange } from './leadership.ts';
import { openLegsJournal } from './open-legs-journal.ts';
import { PostgresLease } from './lease-store.ts';
import { RoutingGate } from './routing-gate.ts';

export const NODE_LOST = 'node-lost';
export const RESTART = 'restart';
/** How often the leader looks for calls that a lost instance left live. */
const RECONCILE_MS = 60_000;
/** How long a takeover waits for the BYEs of lost legs before it routes. */
const TAKEOVER_BYE_WAIT_MS = 1_500;

export function leadershipLayer(wiring: TelephonyWiring): LayerStarter {
  return async (ctx: LayerContext): Promise<RunningLayer> => {
    const { config, store } = ctx;
    const id = instanceId(config);
    // Calls routed under this name that arrived before now are an earlier run's.
    const startedAt = new Date();
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
    let sweeping: Promise<void> | null = null;
    // Calls live in the log whose router is another instance: on taking the
    // lease and every minute while leading (a lost instance's calls may still
    // be committed by its last writes after the takeover).
    const closeOrphans = async () => {
      // Stored callback requests keep their calls open: the leader dials them.
      const waiting = new Set((await store.callbacks.pending()).map((c) => c.callId));
      const mine = await closeOrphanedCalls(
        store.callLog,
        (await liveCallsOfEarlierRun(store.db, id, startedAt)).filter((c) => !waiting.has(c)),
        RESTART,
      );
      for (const callId of mine) {
        const why = `routed by ${id} before this process started (a crash)`;
        log.warn({ callId, why }, 'reconcile: closed a call as failed (restart)');
        ctx.events.publish('reconcile.fixed', {
          what: 'call',
          callId,
          fix: 'closed as failed, reason restart',
          why,
        });
      }
      const orphans = (await liveCallsNotRoutedBy(store.db, id)).filter((c) => !waiting.has(c.id));
      // Their callers' legs are still up at the SIP server too (the agents'
      // legs were ended at the takeover, from the journal).
      const srf = wiring.srf;
      if (srf && orphans.length > 0) {
        const legs = await callerLegsOfCalls(
          store.db,
          orphans.map((c) => c.id),
        );
        await hangUpCallerLegs(srf, legs, log);
      }
      const closed = new Set(
        await closeOrphanedCalls(
          store.callLog,
          orphans.map((c) => c.id),
          NODE_LOST,
        ),
      );
      for (const c of orphans.filter((o) => closed.has(o.id))) {
        const why = `routed by ${c.routedBy ?? 'an unknown instance'}, which no longer routes`;
        log.warn(
          { callId: c.id, routedBy: c.routedBy, why },
          'reconcile: closed a call as failed (node-lost)',
        );
        ctx.events.publish('reconcile.fixed', {
          what: 'call',
          callId: c.id,
          fix: 'closed as failed, reason node-lost',
          why,
        });
      }
    };
    // This instance's writes to the journal go through `openLegs` alone;
    // the repository only reads what a dead instance left.
    const journal = new OpenLegsRepo(store.db);
    const openLegs = openLegsJournal(store.db, id);
    wiring.openLegs = openLegs;
    let takingOver: Promise<void> | null = null;
    // Agent legs a dead leader (or an earlier run of this one) journalled and
    // never saw end: BYE each inside its dialog, wait for the answers a
    // little while (a phone that is gone does not answer), then forget them.
    const endOrphanedLegs = async () => {
      const srf = wiring.srf;
      const legs = await journal.orphaned(id, startedAt);
      const readAt = Date.now();
      if (!srf || legs.length === 0) return;
      const results = await Promise.all(
        legs.map(async (l) => ({
          leg: l,
          r: await hangUpLeg(srf, l.sipCallId, TAKEOVER_BYE_WAIT_MS),
        })),
      );
      let unanswered = 0;
      for (const { leg, r } of results) {
        // A reserved Call-ID (no target) names a dialog only if a leg took
        // it; a BYE nobody answered is no lost leg worth a report.
        if (leg.target === '' && r.kind === 'failed') {
          unanswered++;
          continue;
        }
        const why = `journalled by ${leg.instance}, which no longer routes`;
        const fix = r.kind === 'answered' ? `BYE answered ${r.status}` : `BYE ${r.reason}`;
        log.warn(
          { sipCallId: leg.sipCallId, target: leg.target, fix, why },
          'reconcile: ended a lost agent leg',
        );
        ctx.events.publish('reconcile.fixed', { what: 'leg', sipCallId: leg.sipCallId, fix, why });
      }
      if (unanswered > 0) {
        log.info(
          { count: unanswered },
          'reconcile: reserved Call-IDs of a lost instance named no answered dialog; forgotten',
        );
      }
      // An unanswered INVITE to a number cannot be cancelled from here: call
      // control keeps the callbacks to those numbers back until it is over.
      const lost = lostDialOuts(
        results.map(({ leg, r }) => ({ target: leg.target, ageMs: leg.ageMs, bye: r })),
        config.sip.timerCS * 1000,
        readAt,
      );
      wiring.lostDialOuts.add(lost, Date.now());
      for (const l of lost) {
        log.warn(
          { number: l.number, until: new Date(l.mayRingUntil).toISOString() },
          'reconcile: a lost dial-out may still ring its number (its INVITE cannot be cancelled)',
        );
      }
      await openLegs.closed(legs.map((l) => l.sipCallId));
    };
    const sweep = () => {
      sweeping ??= closeOrphans()
        .catch((err: unknown) => log.error({ err }, 'reconcile: closing lost calls failed'))
        .finally(() => {
          sweeping = null;
        });
    };
    const onChange = ({ role, previousHolder }: RoleChange) => {
      switch (role.kind) {
        case 'leader':
          log.info({ epoch: role.epoch, previousHolder }, 'this instance now routes (leader)');
          // The legs a dead leader left up end before any new call is offered.
          takingOver = endOrphanedLegs()
            .catch((err: unknown) => log.error({ err }, 'reconcile: ending lost legs failed'))
            .then(() => {
              if (leadership.role.kind === 'leader') gate.open();
              sweep();
            });
          return;
        case 'fenced':
          gate.shut();
          openLegs.dropReserved();
          log.error(
            { reason: role.reason },
            'stopped routing: this instance no longer holds the routing lease',
          );
          return;
        case 'standby':
          gate.shut();
          openLegs.dropReserved();
          log.info('standby: another instance routes');
          return;
        case 'closed':
          gate.shut();
          openLegs.dropReserved();
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
    // Started last: a failed start above leaves no timer behind.
    const reconcileTimer = setInterval(() => {
      if (leadership.isLeader()) sweep();
    }, RECONCILE_MS);
    reconcileTimer.unref();
    if (leadership.role.kind === 'standby') onChange({ role: leadership.role });

    return {
      name: 'leadership',
      ready: async () => {
        const role = leadership.role;
        return role.kind === 'fenced' ? `not routing: ${role.reason}` : null;
      },
      async close() {
        clearInterval(reconcileTimer);
        await leadership.close();
        await takingOver;
        await sweeping;
        wiring.routing = null;
        wiring.openLegs = null;
      },
    };
  };
}

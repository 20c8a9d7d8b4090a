/**
 * Changes made by another instance or by hand in SQL reach this instance at
 * once: the tables the router follows notify `acd_changes` on every row
 * change (sql/0007_instances.sql), this layer LISTENs on a connection of its
 * own, re-reads the changed row and publishes the same event the admin API
 * would have published (`agent.updated`, `membership.deleted`, ...). Call
 * control and the wallboards follow those events, so a change through the
 * standby's API, or an UPDATE in psql, applies to the next call.
 *
 * A notification this instance caused itself (its sessions' `acd.instance`)
 * is skipped: the API already published it. After a lost connection the
 * feed reconnects; what changed in between is reported in the log (the
 * routing directory's periodic refresh catches numbers and VIPs).
 *
 * Embedded mode (PGlite) has one process and no other writer: nothing to do.
 */
import pg from 'pg';
import {
  type ConfigNoun,
  type ConfigRow,
  publishConfigChange,
} from '../../api/events/api-events.ts';
import type { Store } from '../../store/index.ts';
import type { LayerStarter } from '../runtime/layer.ts';
import { instanceId } from './instance-id.ts';

export const CHANNEL = 'acd_changes';
const RECONNECT_MS = 1000;

interface Change {
  table: string;
  op: 'insert' | 'update' | 'delete';
  id: string;
  by: string | null;
}

/** Each followed table: the event noun and how to read a row. */
function tables(
  store: Store,
): Record<string, { noun: ConfigNoun; get: (id: string) => Promise<ConfigRow | null> }> {
  return {
    departments: { noun: 'department', get: (id) => store.departments.get(id) },
    agents: { noun: 'agent', get: (id) => store.agents.get(id) },
    memberships: { noun: 'membership', get: (id) => store.memberships.get(id) },
    dids: { noun: 'did', get: (id) => store.dids.get(id) },
    vip_callers: { noun: 'vip-caller', get: (id) => store.vipCallers.get(id) },
    mobile_allow_list: { noun: 'mobile-allow-list', get: (id) => store.mobileAllowList.get(id) },
  };
}

export function parseChange(payload: string | undefined): Change | null {
  try {
    const c = JSON.parse(payload ?? '') as Partial<Change>;
    if (typeof c.table !== 'string' || typeof c.id !== 'string') return null;
    if (c.op !== 'insert' && c.op !== 'update' && c.op !== 'delete') return null;
    return { table: c.table, op: c.op, id: c.id, by: typeof c.by === 'string' ? c.by : null };
  } catch {
    return null;
  }
}

export function changeFeed(): LayerStarter {
  return async ({ config, store, events, logger, agentStatus }) => {
    const url = config.database.url;
    if (url === null) return { name: 'change-feed', async close() {} };
    const me = instanceId(config);
    const log = logger.child({ component: 'change-feed' });
    const byTable = tables(store);
    let client: pg.Client | null = null;
    let closed = false;
    let retry: NodeJS.Timeout | null = null;
    // Applied one after another, in the order Postgres committed them.
    let chain: Promise<void> = Promise.resolve();

    const apply = async (c: Change) => {
      const t = byTable[c.table];
      if (!t) return;
      if (c.op === 'delete') {
        publishConfigChange(events, t.noun, { verb: 'deleted', id: c.id });
        return;
      }
      const row = await t.get(c.id);
      if (row === null) return; // deleted since: its own notification follows
      publishConfigChange(events, t.noun, {
        verb: c.op === 'insert' ? 'created' : 'updated',
        row,
      });
      // A status is not configuration: the engine takes it from the status writer.
      if (c.table === 'agents' && c.op === 'update') await agentStatus.storedElsewhere(c.id);
    };

    const connect = async () => {
      const c = new pg.Client({
        connectionString: url,
        application_name: `open-acd feed ${me}`,
        keepAlive: true,
      });
      c.on('notification', (msg) => {
        if (msg.channel !== CHANNEL) return;
        const change = parseChange(msg.payload);
        if (!change) {
          log.warn({ payload: msg.payload }, 'unreadable change notification; ignored');
          return;
        }
        if (change.by === me) return;
        chain = chain
          .then(() => apply(change))
          .catch((err: unknown) =>
            log.error({ err, change }, 'applying a change from the database failed'),
          );
      });
      c.on('error', (err) => {
        log.warn({ err: err.message }, 'change feed connection lost; reconnecting');
        lost(c);
      });
      c.on('end', () => lost(c));
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      if (closed) {
        await c.end();
        return;
      }
      client = c;
    };
    const lost = (c: pg.Client) => {
      if (client !== c) return;
      client = null;
      c.end().catch(() => undefined);
      schedule();
    };
    const schedule = () => {
      if (closed || retry) return;
      retry = setTimeout(() => {
        retry = null;
        connect().then(
          () => log.info('change feed listening again'),
          (err: unknown) => {
            log.warn(
              { err: err instanceof Error ? err.message : String(err) },
              'change feed: reconnect failed',
            );
            schedule();
          },
        );
      }, RECONNECT_MS);
      retry.unref();
    };

    await connect();
    log.info({ channel: CHANNEL }, 'following database changes');
    return {
      name: 'change-feed',
      async close() {
        closed = true;
        if (retry) clearTimeout(retry);
        const c = client;
        client = null;
        await c?.end().catch(() => undefined);
        await chain;
      },
    };
  };
}

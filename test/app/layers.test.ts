/**
 * Later layers (SIP edge, call control) plug into startApp: they start after
 * the store, see the event bus and the registry, add readiness checks, and
 * close after the HTTP server and before the database. A layer that fails to
 * start leaves nothing running.
 */
import { Gauge } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/settings/config.ts';
import { createLogger } from '../../src/app/runtime/logger.ts';
import { type AcdApp, startApp } from '../../src/app/start-app.ts';
import type { LayerStarter } from '../../src/app/runtime/layer.ts';
import { openPglite } from '../../src/store/index.ts';
import { captureLogs } from '../api/support/harness.ts';
import { connect, eventsUrl } from '../api/support/ws-client.ts';

const TOKEN = 'layers-token-0123456789';
const apps: AcdApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

const config = () =>
  loadConfig({
    env: {},
    overrides: {
      http: { host: '127.0.0.1', port: 0 },
      database: { dataDir: '/nonexistent-not-used' },
      api: { token: TOKEN },
    },
  });

describe('layers in startApp', () => {
  it('start in order with the store and bus, report readiness, and close before the database', async () => {
    const order: string[] = [];
    let healthy = true;
    let storeWorkedAtClose = false;
    const sipEdge: LayerStarter = async () => {
      order.push('start edge');
      return { name: 'edge', close: async () => void order.push('close edge') };
    };
    const callControl: LayerStarter = async ({ store, events, metrics }) => {
      order.push('start calls');
      // Call control follows routing changes and publishes its own events.
      const off = events.on('department.created', (e) => {
        events.publish('call.queued', {
          callId: 'c-1',
          departmentId: e.data.id,
          caller: '+4930111',
          dialled: '+4930100',
        });
      });
      const gauge = new Gauge({
        name: 'acd_calls_waiting',
        help: 'calls waiting',
        registers: [metrics.registry],
      });
      gauge.set(2);
      return {
        name: 'calls',
        ready: async () => (healthy ? null : 'drachtio not connected'),
        close: async () => {
          order.push('close calls');
          off();
          // Still usable: the database closes after the layers.
          await store.departments.list();
          storeWorkedAtClose = true;
        },
      };
    };
    const app = await startApp(config(), {
      db: await openPglite(),
      layers: [sipEdge, callControl],
      logger: createLogger({ level: 'silent' }),
    });
    apps.push(app);
    expect(order).toEqual(['start edge', 'start calls']);

    const ready = await fetch(`${app.httpUrl}/readyz`);
    expect(await ready.json()).toMatchObject({ checks: { calls: 'ok', database: 'ok' } });
    healthy = false;
    const notReady = await fetch(`${app.httpUrl}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ checks: { calls: 'drachtio not connected' } });

    expect(await (await fetch(`${app.httpUrl}/metrics`)).text()).toContain('acd_calls_waiting 2');

    const client = await connect(eventsUrl(app.httpUrl, TOKEN));
    const created = await fetch(`${app.httpUrl}/api/departments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Layered' }),
    });
    const dept = (await created.json()) as { id: string };
    const queued = await client.waitFor((e) => e.type === 'call.queued');
    expect(queued.data).toEqual({
      callId: 'c-1',
      departmentId: dept.id,
      caller: '+4930111',
      dialled: '+4930100',
    });
    await client.close();

    await app.close();
    expect(order).toEqual(['start edge', 'start calls', 'close calls', 'close edge']);
    expect(storeWorkedAtClose).toBe(true);
    await expect(app.store.departments.list()).rejects.toThrow();
    // PGlite boots inside the test: slow on a loaded machine.
  }, 180_000);

  it('closes the layers already started and the database when a layer fails to start', async () => {
    const order: string[] = [];
    const db = await openPglite();
    const logs: string[] = [];
    const failing = startApp(config(), {
      db,
      logger: createLogger({ level: 'info', destination: captureLogs(logs) }),
      layers: [
        async () => {
          order.push('start edge');
          return { name: 'edge', close: async () => void order.push('close edge') };
        },
        async () => {
          throw new Error('SIP port 5060 in use');
        },
      ],
    });
    await expect(failing).rejects.toThrow('SIP port 5060 in use');
    expect(order).toEqual(['start edge', 'close edge']);
    await expect(db.query('SELECT 1')).rejects.toThrow();
  }, 180_000);
});

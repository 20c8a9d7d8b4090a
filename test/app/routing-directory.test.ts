/**
 * The routing directory against a real (PGlite) store and the app's event bus:
 * admin changes apply at once, a reload picks up changes made without the API
 * and never undoes a newer event, a failed reload keeps routing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiEvents, createEventBus } from '../../src/api/events/api-events.ts';
import { createLogger } from '../../src/app/runtime/logger.ts';
import { RoutingDirectory } from '../../src/app/telephony/routing-directory.ts';
import { createStore, type Db, type Store } from '../../src/store/index.ts';
import { openMigratedPglite } from '../support/pglite.ts';

let db: Db;
let store: Store;
let events: ApiEvents;
let directory: RoutingDirectory;
const warnings: string[] = [];
const log = createLogger({
  level: 'warn',
  destination: { write: (line: string) => void warnings.push(line) },
});

beforeEach(async () => {
  warnings.length = 0;
  db = await openMigratedPglite();
  store = createStore(db);
  events = createEventBus();
});

afterEach(async () => {
  await directory?.close();
  await db.close();
});

const open = () => RoutingDirectory.open(store, events, log, 60_000);

describe('RoutingDirectory', () => {
  it('routes stored numbers as dialled and without the +, and knows agents and VIPs', async () => {
    const sales = await store.departments.create({ name: 'Sales' });
    await store.dids.create({ number: '+4930100', departmentId: sales.id });
    const agent = await store.agents.create({
      name: 'Ann',
      sipUsername: 'ann',
      forwardingMode: 'mobile',
      mobileNumber: '+491701234567',
      mobileDelayS: 5,
    });
    await store.vipCallers.create({ callerNumber: '+4917000000' });
    directory = await open();

    const target = { departmentId: sales.id, departmentName: 'Sales' };
    expect(directory.route('+4930100')).toEqual(target);
    expect(directory.route('4930100')).toEqual(target);
    expect(directory.route('+4930999')).toBeNull();
    expect(directory.agent(agent.id)).toEqual({
      id: agent.id,
      forwardingMode: 'mobile',
      mobileNumber: '+491701234567',
      mobileDelayS: 5,
      confirmMobileAnswer: true,
    });
    expect(directory.isVip('+4917000000')).toBe(true);
    expect(directory.isVip('+4917000001')).toBe(false);
  });

  it('applies admin changes synchronously when the API publishes them', async () => {
    const sales = await store.departments.create({ name: 'Sales' });
    directory = await open();

    const did = await store.dids.create({ number: '+4930100', departmentId: sales.id });
    events.publish('did.created', did);
    expect(directory.route('+4930100')?.departmentName).toBe('Sales');

    const renamed = await store.departments.update(sales.id, { name: 'Sales EU' });
    events.publish('department.updated', renamed);
    expect(directory.route('+4930100')?.departmentName).toBe('Sales EU');

    const renumbered = await store.dids.update(did.id, { number: '+4930200' });
    events.publish('did.updated', renumbered);
    expect(directory.route('+4930100')).toBeNull();
    expect(directory.route('+4930200')?.departmentId).toBe(sales.id);

    await store.dids.remove(did.id);
    events.publish('did.deleted', { id: did.id });
    expect(directory.route('+4930200')).toBeNull();

    const agent = await store.agents.create({ name: 'Bob', sipUsername: 'bob' });
    events.publish('agent.created', agent);
    expect(directory.agent(agent.id)?.forwardingMode).toBe(agent.forwardingMode);
    await store.agents.remove(agent.id);
    events.publish('agent.deleted', { id: agent.id });
    expect(directory.agent(agent.id)).toBeNull();

    const vip = await store.vipCallers.create({ callerNumber: '+4917000000' });
    events.publish('vip-caller.created', vip);
    expect(directory.isVip('+4917000000')).toBe(true);
    await store.vipCallers.remove(vip.id);
    events.publish('vip-caller.deleted', { id: vip.id });
    expect(directory.isVip('+4917000000')).toBe(false);
  });

  it('a reload picks up changes made without the API', async () => {
    const sales = await store.departments.create({ name: 'Sales' });
    directory = await open();
    await store.dids.create({ number: '+4930100', departmentId: sales.id });
    expect(directory.route('+4930100')).toBeNull();
    await directory.reload();
    expect(directory.route('+4930100')?.departmentId).toBe(sales.id);
  });

  it('an event published while a reload reads is not undone by the reload', async () => {
    const sales = await store.departments.create({ name: 'Sales' });
    // Hold the reload after it has read the numbers, until the change below is made.
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let listed = () => {};
    const read = new Promise<void>((r) => {
      listed = r;
    });
    let holding = false;
    const gated: Store = {
      ...store,
      dids: {
        ...store.dids,
        list: async (filter) => {
          const rows = await store.dids.list(filter);
          if (holding) {
            listed();
            await held;
          }
          return rows;
        },
      },
    };
    directory = await RoutingDirectory.open(gated, events, log, 60_000);
    holding = true;
    const reloading = directory.reload();
    await read;
    const did = await store.dids.create({ number: '+4930100', departmentId: sales.id });
    events.publish('did.created', did);
    release();
    await reloading;
    expect(directory.route('+4930100')?.departmentId).toBe(sales.id);
  });

  it('keeps routing with the values read last when a reload fails', async () => {
    const sales = await store.departments.create({ name: 'Sales' });
    await store.dids.create({ number: '+4930100', departmentId: sales.id });
    directory = await open();
    await db.close(); // every later query fails
    await directory.reload();
    expect(directory.route('+4930100')?.departmentId).toBe(sales.id);
    expect(warnings.join('')).toMatch(/reload failed/);
    db = await openMigratedPglite(); // for afterEach
  });

  it('stops following events after close', async () => {
    const sales = await store.departments.create({ name: 'Sales' });
    directory = await open();
    await directory.close();
    const did = await store.dids.create({ number: '+4930100', departmentId: sales.id });
    events.publish('did.created', did);
    expect(directory.route('+4930100')).toBeNull();
  });
});

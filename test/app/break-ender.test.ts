/**
 * A break with an end time ends by itself: the agent is available again,
 * the history says 'system', and the stream carries the change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { breakEnder } from '../../src/app/break-ender.ts';
import { loadConfig } from '../../src/app/settings/config.ts';
import { createLogger } from '../../src/app/runtime/logger.ts';
import { type AcdApp, startApp } from '../../src/app/start-app.ts';
import { openPglite } from '../../src/store/index.ts';
import { connect, eventsUrl } from '../api/support/ws-client.ts';

const TOKEN = 'break-ender-token-0123456789';
const apps: AcdApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe('break ender', () => {
  it('makes an agent available when the break ends, as a system change on the stream', async () => {
    const app = await startApp(
      loadConfig({
        env: {},
        overrides: {
          http: { host: '127.0.0.1', port: 0 },
          database: { dataDir: '/nonexistent-not-used' },
          api: { token: TOKEN },
        },
      }),
      {
        db: await openPglite(),
        layers: [breakEnder({ intervalMs: 50 })],
        logger: createLogger({ level: 'silent' }),
      },
    );
    apps.push(app);
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const created = await fetch(`${app.httpUrl}/api/agents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Brea', sipUsername: 'brea', status: 'available' }),
    });
    const agent = (await created.json()) as { id: string };
    const client = await connect(eventsUrl(app.httpUrl, TOKEN));
    const until = new Date(Date.now() + 1500).toISOString();
    const set = await fetch(`${app.httpUrl}/api/agents/${agent.id}/status`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ status: 'break', until }),
    });
    expect(set.status).toBe(200);

    const ended = await client.waitFor(
      (e) => e.type === 'agent.status' && e.data.source === 'system',
    );
    expect(ended.data).toMatchObject({
      agentId: agent.id,
      fromStatus: 'break',
      toStatus: 'available',
      reason: 'break ended',
    });
    expect(Date.parse(ended.at)).toBeGreaterThanOrEqual(Date.parse(until));
    const now = (await (
      await fetch(`${app.httpUrl}/api/agents/${agent.id}`, { headers })
    ).json()) as {
      status: string;
      statusUntil: string | null;
    };
    expect(now).toMatchObject({ status: 'available', statusUntil: null });
    await client.close();
  }, 180_000);
});

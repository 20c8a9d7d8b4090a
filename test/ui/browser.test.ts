/**
 * The web UI in a real browser (headless Debian chromium driven by
 * playwright-core) against the whole product as `npm start` runs it:
 * embedded SIP server, call control, PGlite, with sipp as the agents'
 * softphones and as the callers. Screenshots go to test-results/ui/ for
 * review.
 *
 *   sign in -> wallboard: a sipp call waits, the waiting count changes
 *   live page: the admin makes Alice available, she answers: "on a call"
 *   routing editor: Alice's membership stops taking calls; the next call goes to Bob
 *   reports: the chart has one point per hour and the day's totals; the CSV agrees
 *   read token: no edit controls, and the API refuses its writes
 *   names are attacker-controlled: a department called <script>... stays text
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/settings/config.ts';
import { productionLayers } from '../../src/app/layers.ts';
import { createLogger } from '../../src/app/runtime/logger.ts';
import { type AcdApp, startApp } from '../../src/app/start-app.ts';
import { captureLogs } from '../api/support/harness.ts';
import { freePort } from '../support/ports.ts';
import { assertSippPassed, runSipp, type SippProcess, startSipp } from '../support/sipp.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(here, '../../test-results/ui');
const ADMIN = 'ui-admin-token-0123456789abcdef';
const READ = 'ui-read-token-0123456789abcdef';
const DID = '+4930200';
// No double quotes: the agents' phone scenario reads the caller ID's display name.
const EVIL = '<img src=x onerror=window.__xss=1><script>window.__xss=2</script> Sales';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Agent {
  id: string;
  username: string;
  password: string;
  port: number;
  membershipId: string;
}

describe('the web UI in chromium', () => {
  let app: AcdApp;
  let sipPort: number;
  let dataDir: string;
  let profile: string;
  let browser: BrowserContext;
  const logs: string[] = [];
  const urls: string[] = [];
  const sipps: SippProcess[] = [];
  let deptId: string;
  const agents: Record<'alice' | 'bob', Agent> = {} as never;

  async function api<T = Record<string, unknown>>(
    method: string,
    p: string,
    body?: unknown,
    token = ADMIN,
  ) {
    const res = await fetch(`${app.httpUrl}/api${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as T };
  }

  async function shot(page: Page, name: string) {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  async function signIn(page: Page, token: string) {
    await page.goto(app.httpUrl);
    await page.getByLabel(/API token/).fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('nav.top').waitFor();
  }

  function caller(scenario = path.join(here, 'scenarios/caller-talk-6s.xml')) {
    return (async () =>
      runSipp({
        scenario,
        localPort: await freePort(),
        remote: { host: '127.0.0.1', port: sipPort },
        service: DID.slice(1),
        timeoutSeconds: 40,
      }))();
  }

  async function phone(a: Agent) {
    const p = await startSipp({
      scenario: path.join(here, '../calls/flow/scenarios/agent-answer.xml'),
      localPort: a.port,
      calls: 1,
      timeoutSeconds: 60,
    });
    sipps.push(p);
    return p;
  }

  /** Calls logged as ended, newest first (the call log is written asynchronously). */
  async function endedCalls(count: number) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { json } = await api<{
        items: { id: string; agentId: string | null; outcome: string | null }[];
      }>('GET', '/calls');
      const ended = json.items.filter((c) => c.outcome !== null);
      if (ended.length >= count) return ended;
      if (Date.now() > deadline)
        throw new Error(`expected ${count} ended calls: ${JSON.stringify(json.items)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    dataDir = await mkdtemp(path.join(tmpdir(), 'acd-ui-'));
    profile = await mkdtemp(path.join(tmpdir(), 'acd-chromium-'));
    sipPort = await freePort();
    const config = loadConfig({
      env: {},
      overrides: {
        http: { host: '127.0.0.1', port: 0 },
        database: { url: null, dataDir },
        api: { token: ADMIN, readToken: READ },
        log: { level: 'info' },
        sip: {
          host: '127.0.0.1',
          port: sipPort,
          // sipp peers expect only INVITEs: no OPTIONS probes.
          registrar: { algorithms: ['MD5'], probeIntervalS: 0 },
          trunk: { addresses: ['127.0.0.1'] },
        },
        drachtio: { port: 0 },
        // The sipp callers expect ringback while they wait (no media answer).
        media: { callers: 'ringback' },
      },
    });
    app = await startApp(config, {
      logger: createLogger({ level: 'info', destination: captureLogs(logs) }),
      defaultMetrics: false,
      telephony: true,
      layers: productionLayers(),
    });

    // Configuration through the API; the department's name is hostile on purpose.
    deptId = (
      await api<{ id: string }>('POST', '/departments', {
        name: EVIL,
        strategy: 'priority',
        ringTimeoutS: 15,
        serviceLevelS: 20,
        noAgentAction: { kind: 'hangup' },
        outOfHoursAction: { kind: 'hangup' },
      })
    ).json.id;
    await api('POST', '/dids', { number: DID, departmentId: deptId });
    for (const [i, name] of (['alice', 'bob'] as const).entries()) {
      const username = String(2001 + i);
      const password = `pw-${name}-secret`;
      const agent = (
        await api<{ id: string }>('POST', '/agents', {
          name: name === 'alice' ? 'Alice' : 'Bob',
          sipUsername: username,
          password,
          status: 'away',
        })
      ).json;
      const m = await api<{ id: string }>('POST', '/memberships', {
        agentId: agent.id,
        departmentId: deptId,
        priority: i + 1,
      });
      const a: Agent = {
        id: agent.id,
        username,
        password,
        port: await freePort(),
        membershipId: m.json.id,
      };
      agents[name] = a;
      const reg = await runSipp({
        scenario: path.join(here, '../app/scenarios/agent-register.xml'),
        localPort: a.port,
        remote: { host: '127.0.0.1', port: sipPort },
        service: username,
        extraArgs: ['-au', username, '-ap', password],
        timeoutSeconds: 15,
      });
      assertSippPassed(reg, `REGISTER of ${name}`);
    }

    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1366, height: 900 },
      acceptDownloads: true,
    });
    browser.on('request', (r) => urls.push(r.url()));
    browser.on('page', (p) => p.on('websocket', (ws) => urls.push(ws.url())));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(sipps.map((s) => s.stop()));
    await app?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }, 60_000);

  it('serves the page with a strict CSP and keeps hostile names as text', async () => {
    const res = await fetch(app.httpUrl);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await res.text()).not.toMatch(/<script>|<style>| style=/);

    const page = await browser.newPage();
    await signIn(page, ADMIN);
    const card = page.locator(`[data-dept="${deptId}"]`);
    await card.waitFor();
    expect(await card.locator('h2').textContent()).toBe(EVIL);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await page.close();
  });

  it('shows a sipp call waiting on the wallboard, then Alice on a call once the admin makes her available', async () => {
    const page = await browser.newPage();
    await signIn(page, ADMIN);
    const waiting = page.locator(`[data-dept="${deptId}"] [data-figure="waiting"] .value`);
    await expect.poll(() => waiting.textContent(), { timeout: 10_000 }).toBe('0');
    await shot(page, '01-wallboard-idle');

    const alicePhone = await phone(agents.alice);
    const call = caller();
    await expect.poll(() => waiting.textContent(), { timeout: 15_000 }).toBe('1');
    await shot(page, '02-wallboard-call-waiting');

    await page.getByRole('link', { name: 'Live' }).click();
    const row = page.locator('[data-table="waiting"] tbody tr');
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    await page.getByLabel('Status of Alice').selectOption('available');
    const aliceState = page.locator(`[data-agent="${agents.alice.id}"] [data-state]`);
    await expect
      .poll(() => aliceState.getAttribute('data-state'), { timeout: 15_000 })
      .toBe('onCall');
    expect(await aliceState.textContent()).toBe('on a call');
    await expect.poll(() => page.locator('[data-table="connected"] tbody tr').count()).toBe(1);
    await shot(page, '03-live-alice-on-call');

    assertSippPassed(await call, 'caller 1');
    assertSippPassed(await alicePhone.finished, 'alice');
    const [first] = await endedCalls(1);
    expect(first).toMatchObject({ agentId: agents.alice.id, outcome: 'answered' });
    await page.close();
  }, 120_000);

  it('applies a routing edit made in the UI to the next call', async () => {
    const page = await browser.newPage();
    await signIn(page, ADMIN);
    await page.goto(`${app.httpUrl}/#/routing`);
    await page.getByRole('button', { name: 'Memberships' }).click();
    await page.locator(`[data-record="${agents.alice.membershipId}"]`).click();
    const form = page.locator('form[data-resource="memberships"]');
    // A bad value first: the API's reason appears next to the field.
    await form.getByLabel(/Priority/).fill('500');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => form.locator('[data-error-for="priority"]').textContent())
      .toMatch(/100/);
    await form.getByLabel(/Priority/).fill('1');
    await form.getByLabel('Takes calls').uncheck();
    await form.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.locator('form[data-resource="memberships"] .saved').textContent())
      .toBe('Saved.');
    await shot(page, '04-routing-membership-saved');
    const stored = await api<{ callsEnabled: boolean }>(
      'GET',
      `/memberships/${agents.alice.membershipId}`,
    );
    expect(stored.json.callsEnabled).toBe(false);

    // Alice is still available, with priority 1, but no longer takes calls here: Bob gets the next one.
    await api('PUT', `/agents/${agents.bob.id}/status`, { status: 'available' });
    const bobPhone = await phone(agents.bob);
    assertSippPassed(await caller(), 'caller 2');
    assertSippPassed(await bobPhone.finished, 'bob');
    const ended = await endedCalls(2);
    expect(ended[0]).toMatchObject({ agentId: agents.bob.id, outcome: 'answered' });
    await page.close();
  }, 120_000);

  it("draws the day's report: one point per hour, the totals, and a CSV with the same totals", async () => {
    const page = await browser.newPage();
    await signIn(page, ADMIN);
    await page.goto(`${app.httpUrl}/#/reports`);
    const calls = page.locator('[data-chart="calls"]');
    await calls.waitFor();
    // A local day: 24 hours (23 or 25 on a daylight-saving day).
    expect(Number(await calls.getAttribute('data-points'))).toBeGreaterThanOrEqual(23);
    // offered, answered, abandoned summed over the points.
    expect(await calls.getAttribute('data-sums')).toBe('2,2,0');
    expect(await page.locator('[data-total="offered"] .value').textContent()).toBe('2');
    expect(await page.locator('[data-total="answered"] .value').textContent()).toBe('2');
    const ranking = page.locator('[data-chart="agents"]');
    expect(await ranking.getAttribute('data-points')).toBe('2');
    expect(await ranking.getAttribute('data-sums')).toBe('2');
    await shot(page, '05-reports');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-csv="intervals"]').click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    const [header, ...rows] = csv
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    const col = (name: string) => header!.indexOf(name);
    const total = (name: string) => rows.reduce((s, r) => s + Number(r[col(name)]), 0);
    expect(rows.length).toBe(Number(await calls.getAttribute('data-points')));
    expect([total('offered'), total('answered'), total('abandoned')]).toEqual([2, 2, 0]);
    await page.close();
  }, 60_000);

  it('gives the read token no edit controls, and the API refuses its writes', async () => {
    const page = await browser.newPage();
    await signIn(page, READ);
    expect(await page.locator('[data-role]').getAttribute('data-role')).toBe('read');
    await page.getByRole('link', { name: 'Live' }).click();
    await page.locator(`[data-agent="${agents.alice.id}"]`).waitFor();
    expect(await page.locator('[data-status-of]').count()).toBe(0);
    await page.getByRole('link', { name: 'Routing' }).click();
    await page.getByRole('button', { name: 'Departments' }).click();
    await page.locator(`[data-record="${deptId}"]`).click();
    const form = page.locator('form[data-resource="departments"]');
    await form.waitFor();
    expect(await form.getByRole('button', { name: 'Save' }).count()).toBe(0);
    expect(await page.locator('[data-new]').count()).toBe(0);
    expect(await form.getByLabel('Name').isDisabled()).toBe(true);
    await shot(page, '06-routing-read-only');
    // Even from the page's own context, with the token it holds: 403.
    const status = await page.evaluate(
      async ([id, token]) =>
        (
          await fetch(`/api/departments/${id}`, {
            method: 'PATCH',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'taken over' }),
          })
        ).status,
      [deptId, READ] as const,
    );
    expect(status).toBe(403);
    // The token stays in this tab's sessionStorage, not in localStorage or cookies.
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect((await browser.cookies()).length).toBe(0);
    await page.close();
  }, 60_000);

  it('never put a token into a URL or the log', () => {
    expect(urls.length).toBeGreaterThan(10);
    for (const u of urls) {
      expect(u).not.toContain(ADMIN);
      expect(u).not.toContain(READ);
      expect(u).not.toMatch(/[?&]token=/);
    }
    expect(urls.some((u) => u.includes('/api/events?') && u.includes('ticket='))).toBe(true);
    const text = logs.join('\n');
    expect(text).not.toContain(ADMIN);
    expect(text).not.toContain(READ);
  });
});

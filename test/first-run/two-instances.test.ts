/**
 * Two `npm start`s on one machine, as real processes. The second must stop
 * before it opens anything: on the same data folder with a message naming
 * the first one's process id (PGlite has no lock of its own), and on busy
 * ports with a message naming every setting to change. A lock left by a
 * killed process is taken over.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { cleanUpMainRuns, type MainRun, runMain, tempDir } from '../support/run-main.ts';

afterEach(cleanUpMainRuns);

interface Ports {
  http: number;
  sip: number;
  control: number;
}

async function freePorts(): Promise<Ports> {
  return { http: await freePort(), sip: await freePort(), control: await freePort() };
}

function start(dataDir: string, ports: Ports): MainRun {
  return runMain({
    ACD_DATA_DIR: dataDir,
    ACD_HTTP_PORT: String(ports.http),
    ACD_SIP_HOST: '127.0.0.1',
    ACD_SIP_PORT: String(ports.sip),
    ACD_DRACHTIO_PORT: String(ports.control),
    ACD_SIP_REALTIME_PRIORITY: '0',
  });
}

async function started(run: MainRun): Promise<string> {
  // Booting PGlite in a child process is slow on a loaded machine.
  const line = await run.waitForLine((e) => e.msg === 'open-acd started', 400_000);
  return String(line.url);
}

describe('two instances', () => {
  it('a second start on the same data folder stops at once and names the first one', async () => {
    const dataDir = await tempDir('acd-two-');
    const first = start(dataDir, await freePorts());
    const url = await started(first);

    const second = start(dataDir, await freePorts());
    expect(await second.exited).toBe(1);
    expect(second.err()).toContain(`in use by another open-acd (pid ${first.child.pid})`);
    expect(second.err()).toContain('ACD_DATA_DIR');
    // It opened nothing: no database, no listener.
    expect(second.out()).not.toContain('using embedded PGlite');
    expect(second.out()).not.toContain('listening');

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'open-acd.lock'))).toBe(false);
  }, 900_000);

  it('a second start on busy ports names every port and its setting, and opens nothing', async () => {
    const ports = await freePorts();
    const first = start(await tempDir('acd-two-'), ports);
    await started(first);

    const otherDir = await tempDir('acd-two-');
    const second = start(otherDir, ports);
    expect(await second.exited).toBe(1);
    const err = second.err();
    expect(err).toContain(`admin API port ${ports.http}/tcp on 127.0.0.1 is in use`);
    expect(err).toContain('set ACD_HTTP_PORT (http.port) to a free port');
    expect(err).toContain(`SIP port ${ports.sip}/udp on 127.0.0.1 is in use`);
    expect(err).toContain(`SIP port ${ports.sip}/tcp on 127.0.0.1 is in use`);
    expect(err).toContain('set ACD_SIP_PORT (sip.port) to a free port');
    expect(err).toContain(`port ${ports.control}/tcp on 127.0.0.1 is in use`);
    expect(err).toContain('set ACD_DRACHTIO_PORT (drachtio.port) to a free port');
    expect(existsSync(path.join(otherDir, 'pglite'))).toBe(false);
    expect(existsSync(path.join(otherDir, 'open-acd.lock'))).toBe(false);
  }, 900_000);

  it('a lock left by a killed instance is taken over', async () => {
    const dataDir = await tempDir('acd-two-');
    const first = start(dataDir, await freePorts());
    await started(first);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(path.join(dataDir, 'open-acd.lock'))).toBe(true);

    const next = start(dataDir, await freePorts());
    const url = await started(next);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  }, 900_000);
});

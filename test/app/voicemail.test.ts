/**
 * Voicemail end to end as `npm start` runs it: the embedded SIP and media
 * servers, drachtio-fsmrf between call control and media, a sipp caller with
 * a real RTP socket (test/support/rtp-peer.ts). The department has nobody
 * logged in and `noAgentAction: voicemail`, so a caller hears the no-agent
 * message, the voicemail prompt and the beep, and is recorded. What the
 * caller sends (a tone, silence, `#`) is checked in the stored WAV, which
 * the API lists and serves; every endpoint, channel and dialog is released.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readWav, tone, toneRatio, windows } from '../support/audio.ts';
import { connect, eventsUrl } from '../api/support/ws-client.ts';
import type { RtpPeer } from '../support/rtp-peer.ts';
import { assertSippPassed } from '../support/sipp.ts';
import { untilWithin } from '../support/wait.ts';
import {
  BOB,
  dial,
  encodeMu,
  expectMediaIdle,
  prompt,
  registeredAgent,
  releaseMedia,
  rtpPeer,
  sleep,
  startMediaProduct,
} from './support/media-product.ts';
import { type Product, stopProducts, TOKEN } from './support/product.ts';

const DID = '+4930300';
const CALLER = '+4915112345678';

const dirs: string[] = [];
afterEach(async () => {
  await releaseMedia();
  await stopProducts();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'acd-voicemail-'));
  dirs.push(d);
  return d;
}

function startProduct(voicemailDir: string): Promise<Product> {
  return startMediaProduct({ logLevel: 'info', media: { voicemailDir } });
}

/** A department nobody serves: callers go to its voicemail. */
async function voicemailDepartment(r: Product, fields: Record<string, unknown> = {}) {
  const d = await r.api<{ id: string }>('POST', '/departments', {
    name: 'Support',
    noAgentAction: { kind: 'voicemail' },
    ...fields,
  });
  await r.api('POST', '/dids', { number: DID, departmentId: d.id });
  return d.id;
}

const until = untilWithin(30_000);

/** Packets of the no-agent message, the voicemail prompt and the beep (20 ms each). */
const PROMPT_PACKETS = ['no-agent', 'voicemail', 'beep']
  .map((n) => prompt(n).samples.length / 160)
  .reduce((a, b) => a + b, 0);

/** Waits until the caller has heard the prompts up to the beep, then a little more. */
async function afterTheBeep(peer: RtpPeer): Promise<{ address: string; port: number }> {
  await until(
    'the voicemail prompt and beep',
    () => peer.received.length >= PROMPT_PACKETS,
    60_000,
  );
  await sleep(300);
  return peer.received[0]!.from;
}

function caller(r: Product, peer: RtpPeer, opts: { scenario?: string; stayMs?: number } = {}) {
  return dial(r, DID, {
    peer,
    timeoutSeconds: 90,
    ...(opts.scenario ? { scenario: opts.scenario } : {}),
    ...(opts.stayMs ? { extraArgs: ['-d', String(opts.stayMs)] } : {}),
  });
}

/** Nothing of any call is left, no recording either. */
async function expectIdle(r: Product): Promise<void> {
  await r.telephony.calls.voicemail?.settled();
  expect(r.telephony.calls.voicemail?.active).toBe(0);
  await expectMediaIdle(r);
}

interface VoicemailView {
  id: string;
  callId: string;
  departmentId: string;
  caller: string;
  durationMs: number;
  heard: boolean;
}

async function voicemails(r: Product): Promise<VoicemailView[]> {
  return (await r.api<{ items: VoicemailView[] }>('GET', '/voicemails')).items;
}

async function theCall(r: Product): Promise<{ id: string; outcome: string | null }> {
  let call: { id: string; outcome: string | null } | undefined;
  await until('the call logged', async () => {
    call = (await r.api<{ items: Array<{ id: string; outcome: string | null }> }>('GET', '/calls'))
      .items[0];
    return call?.outcome !== null && call !== undefined;
  });
  return call!;
}

/** The call's voicemail lines in the call log (event types). */
async function voicemailLines(r: Product, callId: string): Promise<string[]> {
  await r.telephony.calls.writer.flush();
  const { rows } = await r.app.store.db.query<{ type: string }>(
    `SELECT type FROM event_log WHERE call_id = $1 AND type LIKE 'voicemail.%' ORDER BY id`,
    [callId],
  );
  return rows.map((x) => x.type);
}

function audio(r: Product, id: string, headers: Record<string, string> = {}) {
  return fetch(`${r.app.httpUrl}/api/voicemails/${id}/audio`, {
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
  });
}

/** The loudest share of `hz` in any 200 ms window of `samples`. */
function bestTone(samples: Int16Array, hz: number): number {
  return Math.max(0, ...windows(samples, 200).map((w) => toneRatio(w, hz, 8000)));
}

describe('voicemail, end to end', () => {
  it('records what the caller says after the beep until #; listed, served with ranges, linked and announced', async () => {
    // Not there yet: the first message creates it.
    const dir = path.join(await tempDir(), 'voicemail');
    const r = await startProduct(dir);
    const deptId = await voicemailDepartment(r);
    // A wallboard on the WebSocket stream, as a client sees it.
    const stream = await connect(`${eventsUrl(r.app.httpUrl)}?types=voicemail.*`, {
      authorization: `Bearer ${TOKEN}`,
    });
    const peer = await rtpPeer();
    const run = caller(r, peer);
    const mediaServer = await afterTheBeep(peer);
    await peer.sendAudio(mediaServer, 0, tone([440], 3000, 8000, 8000), encodeMu);
    await peer.sendDtmf(mediaServer, 101, 11); // '#'
    assertSippPassed(await run, 'caller');

    const call = await theCall(r);
    expect(call.outcome).toBe('no-agent');
    await until('the voicemail listed', async () => (await voicemails(r)).length === 1);
    const [vm] = await voicemails(r);
    expect(vm).toMatchObject({
      callId: call.id,
      departmentId: deptId,
      caller: CALLER,
      heard: false,
    });
    // 3 s of tone, then '#': the recording ends with the key, not at the 120 s limit.
    expect(vm!.durationMs).toBeGreaterThan(2500);
    expect(vm!.durationMs).toBeLessThan(6000);
    const announced = await stream.waitFor((e) => e.type === 'voicemail.recorded');
    expect(announced.data).toMatchObject({
      voicemailId: vm!.id,
      callId: call.id,
      departmentId: deptId,
      caller: CALLER,
      durationMs: vm!.durationMs,
    });
    await stream.close();
    const detail = await r.api<{ voicemailId: string | null }>('GET', `/calls/${call.id}`);
    expect(detail.voicemailId).toBe(vm!.id);
    expect(await voicemailLines(r, call.id)).toEqual(['voicemail.recorded']);

    // The WAV holds the caller's tone; only the finished file is in the folder.
    const whole = await audio(r, vm!.id);
    expect(whole.status).toBe(200);
    const bytes = Buffer.from(await whole.arrayBuffer());
    const wav = readWav(bytes);
    expect(wav.sampleRate).toBe(8000);
    expect(bestTone(wav.samples, 440)).toBeGreaterThan(0.8);
    expect(await readdir(dir)).toEqual([`${vm!.id}.wav`]);
    const part = await audio(r, vm!.id, { range: 'bytes=44-1043' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 44-1043/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(44, 1044))).toBe(true);
    const past = await audio(r, vm!.id, { range: `bytes=${bytes.length}-` });
    expect(past.status).toBe(416);
    await past.arrayBuffer();
    await expectIdle(r);
  }, 180_000);

  it('stops at the department maximum length (voicemailMaxS) while the caller goes on; other keys do not end it', async () => {
    const r = await startProduct(await tempDir());
    await voicemailDepartment(r, { voicemailMaxS: 5 });
    const peer = await rtpPeer();
    const run = caller(r, peer);
    const mediaServer = await afterTheBeep(peer);
    // A flood of keys that are not '#': the recording goes on.
    for (let i = 0; i < 20; i++) await peer.sendDtmf(mediaServer, 101, i % 10, 40, 1);
    // 10 s of tone and no '#': the limit ends the recording, then goodbye and our BYE.
    const sending = peer.sendAudio(mediaServer, 0, tone([440], 10_000, 8000, 8000), encodeMu);
    assertSippPassed(await run, 'caller');
    await sending;
    await until('the voicemail listed', async () => (await voicemails(r)).length === 1);
    const [vm] = await voicemails(r);
    expect(vm!.durationMs).toBeGreaterThan(4000);
    expect(vm!.durationMs).toBeLessThanOrEqual(5100);
    await expectIdle(r);
  }, 180_000);

  it('drops a short silence-only message (# at once) and logs the call as abandoned', async () => {
    const dir = await tempDir();
    const r = await startProduct(dir);
    await voicemailDepartment(r);
    const peer = await rtpPeer();
    const run = caller(r, peer);
    const mediaServer = await afterTheBeep(peer);
    await peer.sendAudio(mediaServer, 0, new Int16Array(8000 / 2), encodeMu); // 0.5 s of silence
    await peer.sendDtmf(mediaServer, 101, 11);
    assertSippPassed(await run, 'caller');
    const call = await theCall(r);
    await expectIdle(r);
    expect(await voicemails(r)).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
    expect(await voicemailLines(r, call.id)).toEqual(['voicemail.abandoned']);
    expect(r.logLines().some((l) => l.msg === 'voicemail: abandoned; nothing kept')).toBe(true);
  }, 180_000);

  it('keeps the message when the caller hangs up while recording', async () => {
    const r = await startProduct(await tempDir());
    await voicemailDepartment(r);
    const peer = await rtpPeer();
    const stayMs = Math.round(PROMPT_PACKETS * 20) + 4000;
    const run = caller(r, peer, { scenario: 'media-caller-hangup', stayMs });
    const mediaServer = await afterTheBeep(peer);
    void peer.sendAudio(mediaServer, 0, tone([440], 6000, 8000, 8000), encodeMu);
    assertSippPassed(await run, 'caller');
    await until('the voicemail listed', async () => (await voicemails(r)).length === 1);
    const [vm] = await voicemails(r);
    expect(vm!.durationMs).toBeGreaterThan(1500);
    const wav = readWav(Buffer.from(await (await audio(r, vm!.id)).arrayBuffer()));
    expect(bestTone(wav.samples, 440)).toBeGreaterThan(0.8);
    await expectIdle(r);
  }, 180_000);

  it('the exit key with a voicemail action: the caller leaves the queue and leaves a message', async () => {
    const r = await startProduct(await tempDir());
    const deptId = await voicemailDepartment(r, {
      noAgentAction: { kind: 'hangup' },
      exitKey: '*',
      exitKeyAction: { kind: 'voicemail' },
    });
    // A registered agent who is away: the caller waits in the queue with music.
    await registeredAgent(r, deptId, { ...BOB, status: 'away' });
    const peer = await rtpPeer();
    const run = caller(r, peer);
    await until('the welcome', () => peer.received.length > 100, 60_000);
    const mediaServer = peer.received[0]!.from;
    const mark = peer.received.length;
    await peer.sendDtmf(mediaServer, 101, 10); // '*'
    const vmPackets = ['voicemail', 'beep']
      .map((n) => prompt(n).samples.length / 160)
      .reduce((a, b) => a + b, 0);
    await until('the voicemail prompt and beep', () => peer.received.length - mark >= vmPackets);
    await sleep(300);
    await peer.sendAudio(mediaServer, 0, tone([440], 2500, 8000, 8000), encodeMu);
    await peer.sendDtmf(mediaServer, 101, 11); // '#'
    assertSippPassed(await run, 'caller');
    const call = await theCall(r);
    expect(call.outcome).toBe('abandoned');
    await until('the voicemail listed', async () => (await voicemails(r)).length === 1);
    const [vm] = await voicemails(r);
    expect(vm).toMatchObject({ callId: call.id, departmentId: deptId });
    const wav = readWav(Buffer.from(await (await audio(r, vm!.id)).arrayBuffer()));
    expect(bestTone(wav.samples, 440)).toBeGreaterThan(0.8);
    await expectIdle(r);
  }, 180_000);

  it('a folder that cannot be written: the caller is still ended cleanly, an error is logged, nothing is listed', async () => {
    // A path below a regular file: no process can create it, root included.
    const base = await tempDir();
    const blocker = path.join(base, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const r = await startProduct(path.join(blocker, 'voicemail'));
    await voicemailDepartment(r);
    const peer = await rtpPeer();
    const run = caller(r, peer);
    const mediaServer = await afterTheBeep(peer);
    void peer.sendAudio(mediaServer, 0, tone([440], 2000, 8000, 8000), encodeMu);
    assertSippPassed(await run, 'caller');
    const call = await theCall(r);
    await expectIdle(r);
    expect(await voicemails(r)).toEqual([]);
    expect(await readdir(base)).toEqual(['not-a-folder']);
    expect(await voicemailLines(r, call.id)).toEqual(['voicemail.failed']);
    const failed = r
      .logLines()
      .filter((l) => l.msg === 'voicemail: recording failed; nothing kept');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.level).toBe('error');
  }, 180_000);
});

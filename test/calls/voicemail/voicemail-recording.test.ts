/**
 * One voicemail against a stand-in endpoint that writes real files: the
 * verdicts (kept, silence dropped, failed and cleaned up, hung up before the
 * beep) and the cap timer that stops a media server ignoring the limit.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/calls/ports/index.ts';
import {
  type VoicemailEndpoint,
  VoicemailRecording,
} from '../../../src/calls/voicemail/voicemail-recording.ts';
import { encodeWav } from '../../../src/media/audio/wav.ts';
import { tone } from '../../support/audio.ts';

type Destroy = (e?: { reason?: string }) => void;

/** An endpoint whose `record` writes `audio` and ends on `uuid_break` (or never, if told). */
class StandIn implements VoicemailEndpoint {
  readonly uuid = 'ep-1';
  readonly calls: string[] = [];
  #onDestroy: Destroy | null = null;
  #endRecord: (() => void) | null = null;
  #endPlay: (() => void) | null = null;
  constructor(
    private readonly audio: Int16Array | null,
    private readonly opts: { holdPrompt?: boolean } = {},
  ) {}
  play(): Promise<unknown> {
    this.calls.push('play');
    if (!this.opts.holdPrompt) return Promise.resolve({});
    return new Promise((resolve) => {
      this.#endPlay = () => resolve({});
    });
  }
  set(name: string, value: string): Promise<unknown> {
    this.calls.push(`set ${name}=${value}`);
    return Promise.resolve({});
  }
  api(command: string): Promise<unknown> {
    this.calls.push(command);
    this.#endPlay?.();
    this.#endRecord?.();
    return Promise.resolve({});
  }
  record(file: string, opts: { timeLimitSecs: number }): Promise<unknown> {
    this.calls.push(`record ${opts.timeLimitSecs}`);
    if (this.audio) writeFileSync(file, encodeWav(this.audio));
    return new Promise((resolve) => {
      this.#endRecord = () => resolve({});
    });
  }
  on(_event: 'destroy', cb: Destroy): unknown {
    this.#onDestroy = cb;
    return this;
  }
  destroyed(reason: string): void {
    this.#onDestroy?.({ reason });
  }
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'acd-vm-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function start(ep: StandIn, maxS = 120) {
  const file = path.join(dir, 'vm-1.wav');
  const rec = new VoicemailRecording(
    ep,
    { callId: 'c1', departmentId: 'd1', caller: '+4930', prompt: ['/p/voicemail.wav'], maxS },
    file,
    'vm-1',
    { logger: silentLogger, now: Date.now },
  );
  return { rec, file };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a voicemail recording', () => {
  it('keeps what the caller said, with # as the terminator and the limit given', async () => {
    const ep = new StandIn(tone([440], 3000, 8000, 8000));
    const { rec, file } = start(ep, 60);
    await sleep(50);
    expect(rec.state).toBe('recording');
    rec.stop(); // as '#' would end it
    const out = await rec.done;
    expect(out).toMatchObject({ kind: 'recorded', row: { durationMs: 3000, path: file } });
    expect(ep.calls.slice(0, 3)).toEqual(['play', 'set playback_terminators=#', 'record 60']);
    expect(existsSync(file)).toBe(true);
  });

  it('drops a short silence-only recording and deletes its file', async () => {
    const ep = new StandIn(new Int16Array(8000));
    const { rec, file } = start(ep);
    await sleep(50);
    rec.stop();
    expect(await rec.done).toEqual({ kind: 'abandoned', reason: 'silence' });
    expect(existsSync(file)).toBe(false);
  });

  it('keeps a long silence: only short silence is dropped', async () => {
    const ep = new StandIn(new Int16Array(8000 * 3));
    const { rec } = start(ep);
    await sleep(50);
    rec.stop();
    expect((await rec.done).kind).toBe('recorded');
  });

  it('fails and removes the partial file when the media server ends the channel (cannot write)', async () => {
    const ep = new StandIn(tone([440], 500, 8000, 8000));
    const { rec, file } = start(ep);
    await sleep(50);
    // The record app never completes: the channel's end is the end.
    ep.destroyed('NORMAL_TEMPORARY_FAILURE');
    const out = await rec.done;
    expect(out.kind).toBe('failed');
    expect(existsSync(file)).toBe(false);
  }, 10_000);

  it('fails when no file was written', async () => {
    const ep = new StandIn(null);
    const { rec } = start(ep);
    await sleep(50);
    rec.stop();
    expect(await rec.done).toMatchObject({ kind: 'failed' });
  });

  it('is abandoned without recording when the caller hangs up during the prompt', async () => {
    const ep = new StandIn(tone([440], 3000, 8000, 8000), { holdPrompt: true });
    const { rec, file } = start(ep);
    await sleep(20);
    expect(rec.state).toBe('prompting');
    rec.callerLeft();
    expect(await rec.done).toEqual({ kind: 'abandoned', reason: 'hung-up-before-tone' });
    expect(ep.calls).toEqual(['play', 'uuid_break']);
    expect(existsSync(file)).toBe(false);
  });

  it('stops a recording the media server does not end at the limit (cap timer)', async () => {
    const ep = new StandIn(tone([440], 1000, 8000, 8000));
    const started = Date.now();
    const { rec } = start(ep, 0.2);
    const out = await rec.done;
    const took = Date.now() - started;
    expect(out.kind).toBe('recorded');
    expect(ep.calls).toContain('uuid_break');
    expect(took).toBeGreaterThanOrEqual(3000);
    expect(took).toBeLessThan(6000);
  }, 10_000);
});

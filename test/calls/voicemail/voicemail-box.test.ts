/**
 * The voicemail box's side of a message: what is stored, logged and
 * announced for each verdict, and shutdown ending messages at once.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/calls/ports/index.ts';
import type { CallLogEvent } from '../../../src/calls/recorder/call-events.ts';
import { VoicemailBox } from '../../../src/calls/voicemail/voicemail-box.ts';
import type {
  VoicemailEndpoint,
  VoicemailRow,
} from '../../../src/calls/voicemail/voicemail-recording.ts';
import { encodeWav } from '../../../src/media/audio/wav.ts';
import { tone } from '../../support/audio.ts';

/** Records `audio` into the file at once; the recording ends on `uuid_break` (like '#'). */
function standIn(audio: Int16Array): VoicemailEndpoint & { breaks: number } {
  let end: (() => void) | null = null;
  let endPlay: (() => void) | null = null;
  const ep = {
    uuid: 'ep',
    breaks: 0,
    play: () =>
      new Promise<unknown>((resolve) => {
        endPlay = () => resolve({});
        setTimeout(endPlay, 20);
      }),
    set: () => Promise.resolve({}),
    api: () => {
      ep.breaks += 1;
      endPlay?.();
      end?.();
      return Promise.resolve({});
    },
    record: (file: string) => {
      writeFileSync(file, encodeWav(audio));
      return new Promise<unknown>((resolve) => {
        end = () => resolve({});
      });
    },
    on: () => ep,
  };
  return ep;
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'acd-vm-box-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function box(add: (row: VoicemailRow) => Promise<void>) {
  const lines: CallLogEvent[] = [];
  const published: Array<[string, unknown]> = [];
  const b = new VoicemailBox({
    dir,
    store: { add },
    callLog: { append: (e) => lines.push(e) },
    publisher: { publish: (type, data) => published.push([type, data]) },
    logger: silentLogger,
    newId: () => '00000000-0000-4000-8000-000000000001',
  });
  return { b, lines, published };
}

const call = {
  callId: 'c1',
  departmentId: '00000000-0000-4000-8000-0000000000d1',
  caller: '+4930',
  prompt: ['/p/voicemail.wav', '/p/beep.wav'],
  maxS: 60,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the voicemail box', () => {
  it('stores a spoken message, logs it on the call and announces it', async () => {
    const rows: VoicemailRow[] = [];
    const { b, lines, published } = box(async (row) => {
      rows.push(row);
    });
    const rec = b.record(standIn(tone([440], 2500, 8000, 8000)), call);
    expect(b.active).toBe(1);
    await sleep(100);
    rec.stop();
    await b.settled();
    expect(b.active).toBe(0);
    expect(rows).toMatchObject([{ callId: 'c1', durationMs: 2500, caller: '+4930' }]);
    expect(rows[0]!.path).toBe(path.join(dir, '00000000-0000-4000-8000-000000000001.wav'));
    expect(lines.map((l) => [l.type, l.callId])).toEqual([['voicemail.recorded', 'c1']]);
    expect(published).toEqual([
      ['voicemail.recorded', expect.objectContaining({ callId: 'c1', durationMs: 2500 })],
    ]);
  });

  it('keeps the file but lists nothing when the database refuses the row', async () => {
    const { b, lines, published } = box(async () => {
      throw new Error('database down');
    });
    const rec = b.record(standIn(tone([440], 2500, 8000, 8000)), call);
    await sleep(100);
    rec.stop();
    await b.settled();
    expect(lines.map((l) => l.type)).toEqual(['voicemail.failed']);
    expect(published).toEqual([]);
    expect(existsSync(path.join(dir, '00000000-0000-4000-8000-000000000001.wav'))).toBe(true);
  });

  it('at shutdown ends messages at once, and one starting later ends before the beep', async () => {
    const rows: VoicemailRow[] = [];
    const { b, lines } = box(async (row) => {
      rows.push(row);
    });
    const first = standIn(tone([440], 2500, 8000, 8000));
    b.record(first, call);
    await sleep(100);
    b.stopAll();
    const later = standIn(tone([440], 2500, 8000, 8000));
    b.record(later, { ...call, callId: 'c2' });
    await b.settled();
    expect(rows.map((r) => r.callId)).toEqual(['c1']);
    const seen = lines.map((l) => [l.type, l.callId, l.payload.reason ?? null]);
    expect(seen.sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      ['voicemail.recorded', 'c1', null],
      ['voicemail.abandoned', 'c2', 'shutdown'],
    ]);
  });
});

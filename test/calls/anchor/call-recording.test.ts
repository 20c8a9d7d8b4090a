/**
 * Recording control of anchored calls, against a stand-in endpoint that
 * answers `uuid_record` as FreeSWITCH does (`+OK Success` / `-ERR ...`).
 */
import { describe, expect, it } from 'vitest';
import {
  AnchoredCalls,
  NotAnchoredError,
  type RecordableEndpoint,
  RecordingUnavailableError,
} from '../../../src/calls/anchor/call-recording.ts';
import { type SavedRecording, silentLogger } from '../../../src/calls/ports/index.ts';

class Endpoint implements RecordableEndpoint {
  readonly uuid = 'a-uuid';
  sent: string[] = [];
  answer = '+OK Success\n';
  async set(name: string, value: string) {
    this.sent.push(`set ${name}=${value}`);
    return {};
  }
  async api(command: string, args: string | string[]) {
    this.sent.push(`${command} ${Array.isArray(args) ? args.join(' ') : args}`);
    return { getBody: () => this.answer };
  }
}

function setup(withStore = true) {
  let now = 1000;
  const saved: SavedRecording[] = [];
  const calls = new AnchoredCalls(
    withStore ? { fileFor: (id) => `/rec/${id}.wav`, saved: (r) => void saved.push(r) } : null,
    () => now,
    silentLogger,
  );
  const tick = (ms: number) => {
    now += ms;
  };
  return { calls, saved, tick };
}

describe('recording anchored calls', () => {
  it('start and stop record the caller endpoint in stereo, and report the file once', async () => {
    const { calls, saved, tick } = setup();
    const ep = new Endpoint();
    calls.anchored('c1', ep, false);
    await calls.start('c1');
    await calls.start('c1');
    expect(ep.sent).toEqual(['set RECORD_STEREO=true', 'uuid_record a-uuid start /rec/c1.wav']);
    expect(calls.isRecording('c1')).toBe(true);
    tick(5000);
    await calls.stop('c1');
    await calls.stop('c1');
    expect(ep.sent.at(-1)).toBe('uuid_record a-uuid stop /rec/c1.wav');
    expect(saved).toEqual([{ callId: 'c1', path: '/rec/c1.wav', startedAt: 1000, endedAt: 6000 }]);
    calls.ended('c1');
    await new Promise((r) => setImmediate(r));
    expect(saved).toHaveLength(1);
    expect(calls.size).toBe(0);
  });

  it('a department that records starts at once; the end of the call completes the file', async () => {
    const { calls, saved, tick } = setup();
    const ep = new Endpoint();
    calls.anchored('c2', ep, true);
    await new Promise((r) => setImmediate(r));
    expect(calls.isRecording('c2')).toBe(true);
    tick(2000);
    calls.ended('c2');
    await new Promise((r) => setImmediate(r));
    expect(saved).toEqual([{ callId: 'c2', path: '/rec/c2.wav', startedAt: 1000, endedAt: 3000 }]);
    await expect(calls.stop('c2')).rejects.toBeInstanceOf(NotAnchoredError);
  });

  it('a call that is not anchored cannot be recorded: a clear reason', async () => {
    const { calls } = setup();
    await expect(calls.start('nope')).rejects.toThrow(/not anchored/);
  });

  it('a media server that refuses, or no recording store: refused, and the call stays anchored', async () => {
    const { calls } = setup();
    const ep = new Endpoint();
    ep.answer = '-ERR uuid_record Command not found!\n';
    calls.anchored('c3', ep, false);
    await expect(calls.start('c3')).rejects.toBeInstanceOf(RecordingUnavailableError);
    expect(calls.isRecording('c3')).toBe(false);
    const none = setup(false);
    none.calls.anchored('c4', new Endpoint(), false);
    await expect(none.calls.start('c4')).rejects.toBeInstanceOf(RecordingUnavailableError);
  });
});

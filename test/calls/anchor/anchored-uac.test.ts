/**
 * Anchored agent legs step by step: a stand-in UAC and media server, a
 * manual clock. The end-to-end tests (test/app/anchored-calls.test.ts) run
 * the same code against sipp, the embedded SIP server and the embedded media
 * server; these drive every interleaving of answer, digit, deadline and
 * cancel, and count what is released.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { AnchorEndpoint } from '../../../src/calls/anchor/anchor-endpoint.ts';
import { anchoredEndpointOf } from '../../../src/calls/anchor/anchored-dialog.ts';
import { Anchors } from '../../../src/calls/anchor/anchors.ts';
import { silentLogger } from '../../../src/calls/ports/index.ts';
import { classifyUacFailure, NotAcceptedError } from '../../../src/calls/sip/sip-failure.ts';
import type { CallDialog, UacProgress, UacRequest } from '../../../src/calls/sip/sip.ts';
import { flush, ManualScheduler } from '../flow/support/manual-scheduler.ts';
import { StandInDialog, StandInUac } from '../flow/support/sip-standins.ts';

class FakeEndpoint extends EventEmitter implements AnchorEndpoint {
  static seq = 0;
  readonly uuid = `ep-${++FakeEndpoint.seq}`;
  readonly local = { sdp: `v=0 offer of ${this.uuid}` };
  plays: string[][] = [];
  apis: string[] = [];
  modifies: string[] = [];
  destroys = 0;
  #playing: (() => void) | null = null;

  play(file: string | string[]): Promise<unknown> {
    this.plays.push(Array.isArray(file) ? file : [file]);
    return new Promise((resolve) => {
      this.#playing = () => resolve({});
    });
  }
  async api(command: string, args: string | string[]): Promise<unknown> {
    this.apis.push(`${command} ${Array.isArray(args) ? args.join(' ') : args}`);
    if (command === 'uuid_break') {
      this.#playing?.();
      this.#playing = null;
    }
    return { getBody: () => '+OK\n' };
  }
  async set(): Promise<unknown> {
    return undefined;
  }
  async modify(sdp: string): Promise<unknown> {
    this.modifies.push(sdp);
    return 'v=0 media server answer';
  }
  async destroy(): Promise<unknown> {
    this.destroys += 1;
    this.#playing?.();
    return {};
  }
  digit(d: string): void {
    this.emit('dtmf', { dtmf: d });
  }
}

class InfoDialog extends StandInDialog {
  #info: ((contentType: string | undefined, body: string) => void) | null = null;
  onInfo(cb: (contentType: string | undefined, body: string) => void): void {
    this.#info = cb;
  }
  peerInfo(contentType: string, body: string): void {
    this.#info?.(contentType, body);
  }
}

const QUESTION = ['/p/call-for.wav', '/p/your-department.wav', '/p/press-one-to-accept.wav'];

function setup(o: { mediaUp?: boolean } = {}) {
  const scheduler = new ManualScheduler();
  const endpoints: FakeEndpoint[] = [];
  const anchors = new Anchors({
    media: () =>
      o.mediaUp === false
        ? null
        : {
            async createEndpoint() {
              const ep = new FakeEndpoint();
              endpoints.push(ep);
              return ep;
            },
          },
    scheduler,
    logger: silentLogger,
  });
  const sip = new StandInUac();
  const uac = anchors.uac(sip);
  const progress = { provisional: [] as number[], onTrial: 0, cancel: null as null | (() => void) };
  const callbacks: UacProgress = {
    onRequest: (r) => {
      progress.cancel = () => r.cancel();
    },
    onProvisional: (s) => progress.provisional.push(s),
    onAnswerOnTrial: () => void progress.onTrial++,
  };
  const request = (confirm: boolean): UacRequest => ({
    uri: 'sip:+4915112345678@trunk',
    localSdp: 'v=0 caller',
    headers: {},
    anchor: { confirm: confirm ? { prompt: QUESTION, timeoutMs: 8000 } : null },
  });
  const outcome = (p: Promise<CallDialog>) => {
    const seen: { dialog?: CallDialog; err?: unknown } = {};
    p.then(
      (d) => {
        seen.dialog = d;
      },
      (e: unknown) => {
        seen.err = e;
      },
    );
    return seen;
  };
  return { scheduler, endpoints, anchors, sip, uac, progress, callbacks, request, outcome };
}

describe('anchored agent legs', () => {
  it('offers the media server endpoint, gives it the answer, and a 1 by RFC 4733 accepts', async () => {
    const t = setup();
    const seen = t.outcome(t.uac.invite(t.request(true), t.callbacks));
    await flush();
    const [ep] = t.endpoints;
    const invite = t.sip.invites[0]!;
    expect(invite.request.localSdp).toBe(ep!.local.sdp);
    expect(invite.request.anchor).toBeUndefined();
    invite.ringing();
    const agent = invite.answer(new InfoDialog('v=0 mobile'));
    await flush();
    expect(ep!.modifies).toEqual(['v=0 mobile']);
    expect(t.progress.onTrial).toBe(1);
    expect(ep!.plays[0]).toEqual([...QUESTION, 'silence_stream://1500']);
    // A flood of other digits changes nothing.
    for (let i = 0; i < 500; i++) ep!.digit('5');
    await flush();
    expect(seen.dialog).toBeUndefined();
    ep!.digit('1');
    await flush();
    expect(seen.dialog).toBeDefined();
    expect(anchoredEndpointOf(seen.dialog!)?.uuid).toBe(ep!.uuid);
    expect(t.scheduler.pending).toBe(0);
    expect(t.anchors.openEndpoints).toBe(1);
    // The call ends: the agent hangs up; the endpoint goes once.
    agent.peerBye();
    seen.dialog!.end('again');
    await t.anchors.settled();
    expect(ep!.destroys).toBe(1);
    expect(t.anchors.openEndpoints).toBe(0);
  });

  it('a 1 by SIP INFO (dtmf-relay) accepts as well', async () => {
    const t = setup();
    const seen = t.outcome(t.uac.invite(t.request(true), t.callbacks));
    await flush();
    const agent = t.sip.invites[0]!.answer(new InfoDialog('v=0 mobile')) as InfoDialog;
    await flush();
    agent.peerInfo('application/dtmf-relay', 'Signal=1\r\nDuration=160\r\n');
    await flush();
    expect(seen.dialog).toBeDefined();
  });

  it('no 1 in time: the leg is hung up, its endpoint released, and the failure is not-accepted', async () => {
    const t = setup();
    const seen = t.outcome(t.uac.invite(t.request(true), t.callbacks));
    await flush();
    const agent = t.sip.invites[0]!.answer(new InfoDialog('v=0 voicemail'));
    await flush();
    t.scheduler.advance(7999);
    await flush();
    expect(seen.err).toBeUndefined();
    t.scheduler.advance(1);
    await flush();
    expect(seen.err).toBeInstanceOf(NotAcceptedError);
    expect(classifyUacFailure(seen.err).failure).toBe('not-accepted');
    expect(agent.byes).toBe(1);
    await t.anchors.settled();
    expect(t.endpoints[0]!.destroys).toBe(1);
    expect(t.anchors.openEndpoints).toBe(0);
    expect(t.scheduler.pending).toBe(0);
  });

  it('the agent hanging up while asked counts as not accepted', async () => {
    const t = setup();
    const seen = t.outcome(t.uac.invite(t.request(true), t.callbacks));
    await flush();
    const agent = t.sip.invites[0]!.answer(new InfoDialog());
    await flush();
    agent.peerBye();
    await flush();
    expect(seen.err).toBeInstanceOf(NotAcceptedError);
    expect(agent.byes).toBe(0);
    await t.anchors.settled();
    expect(t.endpoints[0]!.destroys).toBe(1);
    expect(t.scheduler.pending).toBe(0);
  });

  it('cancelled while asked: the check is withdrawn, the leg hung up, 487', async () => {
    const t = setup();
    const seen = t.outcome(t.uac.invite(t.request(true), t.callbacks));
    await flush();
    const agent = t.sip.invites[0]!.answer(new InfoDialog());
    await flush();
    t.progress.cancel!();
    await flush();
    expect((seen.err as { status?: number }).status).toBe(487);
    expect(agent.byes).toBe(1);
    await t.anchors.settled();
    expect(t.endpoints[0]!.destroys).toBe(1);
    expect(t.scheduler.pending).toBe(0);
  });

  it('cancelled before the INVITE left: no INVITE, the endpoint released', async () => {
    const t = setup();
    const seen = t.outcome(t.uac.invite(t.request(true), t.callbacks));
    t.progress.cancel!();
    await flush();
    expect(t.sip.invites).toHaveLength(0);
    expect((seen.err as { status?: number }).status).toBe(487);
    expect(t.endpoints[0]!.destroys).toBe(1);
    expect(t.anchors.openEndpoints).toBe(0);
  });

  it('cancelled while ringing: the CANCEL goes to the INVITE; its 487 releases the endpoint', async () => {
    const t = setup();
    const seen = t.outcome(t.uac.invite(t.request(true), t.callbacks));
    await flush();
    const invite = t.sip.invites[0]!;
    invite.ringing();
    t.progress.cancel!();
    t.progress.cancel!();
    expect(invite.cancels).toBe(1);
    invite.fail(487);
    await flush();
    expect((seen.err as { status?: number }).status).toBe(487);
    expect(t.endpoints[0]!.destroys).toBe(1);
  });

  it('a busy agent: the failure passes through and the endpoint is released', async () => {
    const t = setup();
    const seen = t.outcome(t.uac.invite(t.request(false), t.callbacks));
    await flush();
    t.sip.invites[0]!.fail(486);
    await flush();
    expect(classifyUacFailure(seen.err).failure).toBe('busy');
    expect(t.endpoints[0]!.destroys).toBe(1);
  });

  it('without a check (recording only) the answer counts at once; a re-INVITE stays with the media server', async () => {
    const t = setup();
    const seen = t.outcome(t.uac.invite(t.request(false), t.callbacks));
    await flush();
    const agent = t.sip.invites[0]!.answer(new InfoDialog('v=0 softphone'));
    await flush();
    expect(seen.dialog).toBeDefined();
    expect(t.progress.onTrial).toBe(0);
    const reply = await agent.peerReinvite('v=0 hold');
    expect(reply).toEqual({ ok: true, sdp: 'v=0 media server answer' });
    expect(t.endpoints[0]!.modifies).toEqual(['v=0 softphone', 'v=0 hold']);
    await expect(seen.dialog!.modify('v=0 x')).rejects.toMatchObject({ status: 488 });
    // The media server ends the endpoint: the leg is hung up.
    t.endpoints[0]!.emit('destroy', { reason: 'MEDIA_TIMEOUT' });
    await flush();
    expect(agent.byes).toBe(1);
    expect(t.anchors.openEndpoints).toBe(0);
  });

  it('without a media server a leg that must be checked fails; one that only records goes out plain', async () => {
    const t = setup({ mediaUp: false });
    const checked = t.outcome(t.uac.invite(t.request(true), t.callbacks));
    await flush();
    expect(checked.err).toBeInstanceOf(Error);
    expect(classifyUacFailure(checked.err).failure).toBe('unreachable');
    expect(t.sip.invites).toHaveLength(0);
    t.outcome(t.uac.invite(t.request(false), t.callbacks));
    await flush();
    expect(t.sip.invites[0]!.request.localSdp).toBe('v=0 caller');
  });
});

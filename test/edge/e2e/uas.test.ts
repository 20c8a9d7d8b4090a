/**
 * sipp calls a drachtio-srf app through the server under test (the app is
 * the UAS): answer, reject, ring then answer, caller cancels, BYE from either
 * side, re-INVITE from either side — over UDP and TCP. sipp's exit code is
 * the verdict on what the network saw; the app's events are checked too.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { assertSippPassed, runSipp } from '../../support/sipp.ts';
import { sleep, useCleanup, useSipTarget, waitFor } from './helpers/harness.ts';
import { type Dialog, SrfApp, destroyDialog, sdp } from './helpers/srf.ts';

const target = useSipTarget();
const track = useCleanup();

async function app(): Promise<SrfApp> {
  return track(await SrfApp.connect(target().drachtio), (a) => a.close());
}

async function callIn(scenario: string, transport: 'udp' | 'tcp', service = 'app') {
  const t = target();
  return runSipp({
    scenario,
    transport,
    service,
    localPort: await freePort(),
    remote: { host: t.sipHost, port: t.sipPort },
    timeoutSeconds: 20,
  });
}

describe.each(['udp', 'tcp'] as const)(
  'srf UAS behind the server, sipp calling over %s',
  (transport) => {
    it('answers with createUAS and sees the caller hang up', async () => {
      const a = await app();
      const dialogs: Dialog[] = [];
      const destroyed: string[] = [];
      a.srf.invite(async (req, res) => {
        const d = await a.srf.createUAS(req, res, { localSdp: sdp() });
        dialogs.push(d);
        d.on('destroy', () => destroyed.push(d.sip.callId));
      });
      assertSippPassed(await callIn('uac-answer', transport));
      await waitFor(() => destroyed.length === 1, 3000, 'dialog destroy');
      expect(dialogs).toHaveLength(1);
    });

    it('rejects with 486 Busy Here', async () => {
      const a = await app();
      let invites = 0;
      a.srf.invite((_req, res) => {
        invites++;
        res.send(486);
      });
      assertSippPassed(await callIn('uac-expect-486', transport));
      expect(invites).toBe(1);
    });

    it('rings with 180 and then answers', async () => {
      const a = await app();
      a.srf.invite(async (req, res) => {
        res.send(180);
        await sleep(100);
        await a.srf.createUAS(req, res, { localSdp: sdp() });
      });
      assertSippPassed(await callIn('uac-ring-answer', transport));
    });

    it('is told when the caller cancels while it rings', async () => {
      const a = await app();
      const cancelled: string[] = [];
      a.srf.invite((req, res) => {
        (req as unknown as { on(e: 'cancel', cb: () => void): void }).on('cancel', () =>
          cancelled.push(req.get('Call-ID')),
        );
        res.send(180);
      });
      assertSippPassed(await callIn('uac-cancel', transport));
      await waitFor(() => cancelled.length === 1, 3000, 'cancel event on the request');
    });

    it('hangs up itself: the BYE from the app reaches the caller', async () => {
      const a = await app();
      const ended: Array<Promise<void>> = [];
      a.srf.invite(async (req, res) => {
        const d = await a.srf.createUAS(req, res, { localSdp: sdp() });
        await sleep(100);
        ended.push(destroyDialog(d));
      });
      assertSippPassed(await callIn('uac-wait-bye', transport));
      await waitFor(() => ended.length === 1, 3000, 'app BYE');
      await expect(ended[0]).resolves.toBeUndefined();
    });

    it('takes a re-INVITE from the caller through the dialog (modify event)', async () => {
      const a = await app();
      let modified = 0;
      a.srf.invite(async (req, res) => {
        const d = await a.srf.createUAS(req, res, { localSdp: sdp() });
        d.on('modify', (_r, rs) => {
          modified++;
          rs.send(200, { body: sdp(40002) });
        });
      });
      assertSippPassed(await callIn('uac-reinvite-send', transport));
      expect(modified).toBe(1);
    });

    it('re-INVITEs the caller with dialog.modify and gets its answer', async () => {
      const a = await app();
      const answers: string[] = [];
      a.srf.invite(async (req, res) => {
        const d = await a.srf.createUAS(req, res, { localSdp: sdp() });
        await sleep(50);
        answers.push(await d.modify(sdp(40004, 'modified')));
      });
      assertSippPassed(await callIn('uac-reinvite-recv', transport));
      expect(answers).toHaveLength(1);
      expect(answers[0]).toMatch(/^v=0/);
    });
  },
);

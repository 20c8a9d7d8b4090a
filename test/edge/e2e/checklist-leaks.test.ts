/**
 * drachtio-wire.md §11.53 on a server of its own (so that no earlier test's
 * calls are still lingering): after every flow of §8 — inbound answer, busy,
 * cancel, REGISTER; outbound answer, busy, cancel, callee BYE — the server's
 * live counts of transactions, dialogs, pending requests, timers and UDP flows return
 * to zero once the linger timers have run.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { assertSippPassed, runSipp, startSipp } from '../../support/sipp.ts';
import { statNumber } from '../../support/sip-target.ts';
import { useChecklist, waitFor } from './helpers/harness.ts';
import { type SentRequest, destroyDialog, sdp } from './helpers/srf.ts';

const c = useChecklist();

describe('§11 transports and robustness (counters)', () => {
  it('§11.53 returns transactions, dialogs, pending requests and timers to zero after every flow', async () => {
    const t = c.target();
    const app = await c.srf();
    app.srf.invite(async (req, res) => {
      const mode = req.get('To');
      if (mode.includes('busy')) return res.send(486);
      if (mode.includes('ring')) return res.send(180);
      await app.srf.createUAS(req, res, { localSdp: sdp() });
    });
    app.srf.register((_req, res) => res.send(200, { headers: { Expires: '60' } }));
    const remote = { host: t.sipHost, port: t.sipPort };
    const inbound: Array<[string, string]> = [
      ['uac-answer', 'answer'],
      ['uac-expect-486', 'busy'],
      ['uac-cancel', 'ring'],
      ['uac-register', 'reg'],
    ];
    for (const [scenario, service] of inbound) {
      assertSippPassed(
        await runSipp({
          scenario,
          service,
          remote,
          calls: 5,
          rate: 20,
          localPort: await freePort(),
          timeoutSeconds: 20,
        }),
        scenario,
      );
    }
    for (const scenario of ['uas-answer', 'uas-busy', 'uas-ring-cancel', 'uas-answer-then-bye']) {
      const port = await freePort();
      const uas = c.track(
        await startSipp({ scenario, localPort: port, calls: 1, timeoutSeconds: 20 }),
        (s) => s.stop(),
      );
      const uri = `sip:callee@127.0.0.1:${port}`;
      if (scenario === 'uas-answer')
        await destroyDialog(await app.srf.createUAC(uri, { localSdp: sdp() }));
      if (scenario === 'uas-answer-then-bye') await app.srf.createUAC(uri, { localSdp: sdp() });
      if (scenario === 'uas-busy')
        await app.srf.createUAC(uri, { localSdp: sdp() }).catch(() => undefined);
      if (scenario === 'uas-ring-cancel') {
        let sent: SentRequest | undefined;
        await app.srf
          .createUAC(
            uri,
            { localSdp: sdp() },
            {
              cbRequest: (_e, r) => {
                sent = r;
              },
              cbProvisional: () => sent?.cancel(),
            },
          )
          .catch(() => undefined);
      }
      assertSippPassed(await uas.finished, scenario);
    }
    if (!t.stats) {
      console.info(
        'external drachtio-server: no counters to read; its status dump has leak counters (§11.53)',
      );
      return;
    }
    const stats = t.stats;
    const live = () =>
      ['transactions', 'dialogs', 'pendingRequests', 'timers', 'udpFlows'].map((k) =>
        statNumber(stats(), k),
      );
    // Linger timers (I, J, K, D) are at most 64×T1 here.
    await waitFor(
      () => live().every((n) => n === 0),
      64 * t.timers.t1Ms + 5000,
      `live counters to drain (now ${JSON.stringify(stats())})`,
    );
    expect(live()).toEqual([0, 0, 0, 0, 0]);
  }, 120_000);
});

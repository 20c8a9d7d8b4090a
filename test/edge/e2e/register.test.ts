/**
 * REGISTER from sipp reaches the app's `srf.register` handler through the
 * server under test (no 100 Trying, the app's 200 goes back), over UDP and TCP.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { assertSippPassed, countInTrace, runSipp } from '../../support/sipp.ts';
import { useCleanup, useSipTarget } from './helpers/harness.ts';
import { SrfApp } from './helpers/srf.ts';

const target = useSipTarget();
const track = useCleanup();

describe.each(['udp', 'tcp'] as const)('REGISTER over %s', (transport) => {
  it('reaches srf.register and the app answers 200 with the binding', async () => {
    const t = target();
    const app = track(await SrfApp.connect(t.drachtio), (a) => a.close());
    const seen: Array<{ aor: string; contact: string; expires: number | undefined }> = [];
    app.srf.register((req, res) => {
      seen.push({
        aor: req.get('To'),
        contact: req.get('Contact'),
        expires: Number(req.get('Expires')),
      });
      res.send(200, {
        headers: { Contact: `${req.get('Contact')};expires=3600`, Expires: '3600' },
      });
    });
    const r = await runSipp({
      scenario: 'uac-register',
      transport,
      service: '1001',
      calls: 3,
      rate: 20,
      localPort: await freePort(),
      remote: { host: t.sipHost, port: t.sipPort },
      timeoutSeconds: 20,
    });
    assertSippPassed(r);
    expect(seen).toHaveLength(3);
    expect(seen[0]?.aor).toContain('sip:1001@');
    expect(seen[0]?.contact).toContain('sip:1001@127.0.0.1');
    expect(seen[0]?.expires).toBe(3600);
    // drachtio-server sends no 100 Trying for REGISTER (drachtio-wire §7.12).
    expect(countInTrace(r.messages, /^SIP\/2\.0 100/, 'received')).toBe(0);
  });

  it('registers each user injected from a CSV (-inf) and the app sees each AOR', async () => {
    const t = target();
    const app = track(await SrfApp.connect(t.drachtio), (a) => a.close());
    const aors: string[] = [];
    app.srf.register((req, res) => {
      aors.push(/sip:(\d+)@/.exec(req.get('To'))?.[1] ?? '?');
      res.send(200, { headers: { Expires: '60' } });
    });
    const r = await runSipp({
      scenario: 'uac-register-users',
      transport,
      calls: 3,
      rate: 20,
      inf: { order: 'SEQUENTIAL', rows: [['2001'], ['2002'], ['2003']] },
      localPort: await freePort(),
      remote: { host: t.sipHost, port: t.sipPort },
      timeoutSeconds: 20,
    });
    assertSippPassed(r);
    expect(aors).toEqual(['2001', '2002', '2003']);
  });
});

/**
 * A request to a closed UDP port (drachtio-wire.md §7.6, "No response at
 * all"): the kernel answers with ICMP port unreachable, and drachtio-server
 * relays a local `503 Service Unavailable` at once, without retransmitting;
 * the app must not wait 64×T1 for a 408 (an agent whose softphone has quit
 * must be rolled over at once, an OPTIONS prober must see it gone).
 *
 * T1 is 500 ms here, so a retransmission would show in the counters if the
 * 503 came from anything but the first transmission. Only this file's
 * traffic reaches this server.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { statNumber } from '../../support/sip-target.ts';
import { useCleanup, useSipTarget, waitFor } from './helpers/harness.ts';
import { UdpPeer, buildResponse } from './helpers/peer.ts';
import { SrfApp, sdp } from './helpers/srf.ts';

const target = useSipTarget({ t1Ms: 500, t2Ms: 4000, t4Ms: 5000 });
const track = useCleanup();

const counter = (name: string): number => {
  const stats = target().stats;
  return stats ? statNumber(stats(), name) : 0;
};

describe('ICMP port unreachable', () => {
  it('answers an OPTIONS to a closed port with a local 503 after one transmission', async () => {
    const t = target();
    const app = track(await SrfApp.connect(t.drachtio), (a) => a.close());
    const closed = await freePort();
    const before = counter('retransmissions');
    const res = await app.requestFinal(`sip:gone@127.0.0.1:${closed}`, { method: 'OPTIONS' });
    expect(res.status).toBe(503);
    // drachtio-server relays it as a local response: no source address, port 0.
    expect(res.source_address).toBe('');
    if (t.stats) {
      expect(counter('retransmissions')).toBe(before);
      // The connected socket held for the request is released with it.
      await waitFor(() => counter('udpFlows') === 0, 3000, 'udp flows released');
    }
  });

  it('rejects an INVITE to a closed port with 503 at once (createUAC)', async () => {
    const t = target();
    const app = track(await SrfApp.connect(t.drachtio), (a) => a.close());
    const closed = await freePort();
    const before = counter('retransmissions');
    const err = await app.srf.createUAC(`sip:agent@127.0.0.1:${closed}`, { localSdp: sdp() }).then(
      () => undefined,
      (e: { status?: number }) => e,
    );
    expect(err?.status).toBe(503);
    if (t.stats) {
      expect(counter('retransmissions')).toBe(before);
      expect(counter('clientTransactions')).toBe(0);
    }
  });

  it('still sends from the SIP port and reads the answer of a live peer', async () => {
    const t = target();
    const app = track(await SrfApp.connect(t.drachtio), (a) => a.close());
    const peer = track(await UdpPeer.open(), (p) => p.close());
    const resP = app.requestFinal(`sip:alive@127.0.0.1:${peer.port}`, { method: 'OPTIONS' });
    const opt = await peer.next((m) => m.text.startsWith('OPTIONS '));
    // From the port its Via names: a phone behind NAT accepts it through the
    // pinhole its REGISTER opened to that port.
    expect(opt.from.port).toBe(t.sipPort);
    peer.send(buildResponse(opt.text, 200, 'OK', { toTag: 'alive1' }), {
      host: t.sipHost,
      port: t.sipPort,
    });
    expect((await resP).status).toBe(200);
  });
});

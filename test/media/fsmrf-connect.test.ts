/**
 * drachtio-fsmrf connects to the embedded media server as to FreeSWITCH:
 * auth, `event json HEARTBEAT`, `api sofia status` with the drachtio_mrf
 * profile line, api commands; then creates and destroys endpoints.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, expectNoLeaks, type Rig, RtpPeer, sdpPort, startRig } from './harness.ts';

let rig: Rig | undefined;
const peers: RtpPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) await p.close();
  await rig?.close();
  rig = undefined;
});

describe('drachtio-fsmrf against the embedded media server', () => {
  it('mrf.connect() resolves and finds the drachtio_mrf SIP address', async () => {
    rig = await startRig();
    const ms = await rig.connectMs();
    expect(ms.sip.ipv4.udp.address).toBe(`127.0.0.1:${rig.media.sipAddress.port}`);
    expect(rig.media.counts().eslInbound).toBe(1);
    // FreeSWITCH's table, byte for byte (388 bytes for any address that fits its 40 columns).
    const sofia = await ms.api('sofia status');
    expect(Buffer.byteLength(sofia)).toBe(388);
    expect(sofia.split('\n')[2]).toBe(
      `             drachtio_mrf\tprofile\t${`sip:mod_sofia@127.0.0.1:${rig.media.sipAddress.port}`.padStart(42)}\tRUNNING (0)`,
    );
    const status = await ms.api('status');
    expect(status).toMatch(/is ready/);
    const unknown = await ms.api('no_such_command x');
    expect(unknown).toBe('-ERR no_such_command Command not found!\n');
  });

  it('createEndpoint() with an offer answers PCMU + telephone-event and destroy() ends it on our BYE', async () => {
    rig = await startRig();
    const ms = await rig.connectMs();
    const peer = await RtpPeer.open();
    peers.push(peer);
    const ep = await ms.createEndpoint({ remoteSdp: peer.offer(['PCMA', 'PCMU']) });
    expect(ep.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(ep.local.sdp).toMatch(/m=audio \d+ RTP\/AVP 0 101\r\n/);
    expect(ep.local.sdp).toMatch(/a=rtpmap:101 telephone-event\/8000/);
    expect(Number(ep.local.mediaPort)).toBe(sdpPort(ep.local.sdp));
    expect(ep.remote.mediaPort).toBe(String(peer.port));
    expect(ep.dtmfType).toBe('rfc2833');
    expect(rig.media.counts()).toMatchObject({
      channels: 1,
      eslOutbound: 1,
      rtpPorts: 1,
      sipDialogs: 1,
    });
    const vars = await ep.getChannelVariables(true);
    expect(vars.variable_sip_user_agent).toMatch(/^drachtio-fsmrf:/);
    expect(vars['Unique-ID']).toBe(ep.uuid);
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('an endpoint without SDP (3pcc) gets our offer, then modify() points it at the peer', async () => {
    rig = await startRig();
    const ms = await rig.connectMs();
    const ep = await ms.createEndpoint();
    expect(ep.local.sdp).toMatch(/m=audio \d+ RTP\/AVP 0 8 101/);
    const peer = await RtpPeer.open();
    peers.push(peer);
    await ep.modify(peer.offer(['PCMA']));
    expect(ep.remote.mediaPort).toBe(String(peer.port));
    expect(ep.local.sdp).toMatch(/m=audio \d+ RTP\/AVP 8 101/);
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });

  it('an offer with no common codec is answered 488 and leaves nothing behind', async () => {
    rig = await startRig();
    const ms = await rig.connectMs();
    const peer = await RtpPeer.open();
    peers.push(peer);
    const err = await ms.createEndpoint({ remoteSdp: peer.offer(['G722']) }).then(
      () => undefined,
      (e: { status?: number }) => e,
    );
    expect(err?.status).toBe(488);
    expect(rig.logs.some((l) => /no common codec/.test(String(l.reason)))).toBe(true);
    await expectNoLeaks(rig.media);
  });

  it('a BYE from the SIP side ends the channel: the endpoint emits destroy', async () => {
    rig = await startRig();
    const ms = await rig.connectMs();
    const peer = await RtpPeer.open();
    peers.push(peer);
    const ep = await ms.createEndpoint({ remoteSdp: peer.offer() });
    const destroyed = new Promise((r) => ep.on('destroy', r));
    await ep.dialog.destroy();
    await destroyed;
    await expectNoLeaks(rig.media);
  });

  it('uuid_kill from the app hangs the channel up with a BYE and the endpoint reports the cause', async () => {
    rig = await startRig();
    const ms = await rig.connectMs();
    const peer = await RtpPeer.open();
    peers.push(peer);
    const ep = await ms.createEndpoint({ remoteSdp: peer.offer() });
    const destroyed = new Promise<{ reason?: string } | undefined>((r) => ep.on('destroy', r));
    const byed = new Promise((r) => ep.dialog.on('destroy', r));
    const res = await ep.api('uuid_kill', [ep.uuid, 'USER_BUSY']);
    expect(res.getBody()).toBe('+OK\n');
    expect((await destroyed)?.reason).toBe('USER_BUSY');
    await byed;
    await expectNoLeaks(rig.media);
  });

  it('mrf reconnects after the inbound event socket drops and creates endpoints again', async () => {
    rig = await startRig();
    const ms = await rig.connectMs();
    const ended = new Promise((r) => ms.on('end', r));
    // The server side drops every inbound connection, as a restart would.
    const conn = (ms as unknown as { _conn: { socket: { destroy(): void } } })._conn;
    conn.socket.destroy();
    await ended;
    await eventually(
      () => rig?.media.counts().eslInbound === 1 && ms.connected(),
      (ok) => ok,
      5000,
    );
    const peer = await RtpPeer.open();
    peers.push(peer);
    const ep = await ms.createEndpoint({ remoteSdp: peer.offer() });
    await ep.destroy();
    await expectNoLeaks(rig.media);
  });
});

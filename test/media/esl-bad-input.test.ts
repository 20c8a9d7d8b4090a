/**
 * The inbound event socket under bad input, byte for byte as FreeSWITCH
 * answers: a wrong password, commands before auth, unknown commands and
 * garbage. Each gets FreeSWITCH's answer (or a close) and a log line; the
 * server keeps serving the next client.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, type Rig, startRig } from './harness.ts';

let rig: Rig | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await rig?.close();
  rig = undefined;
});

interface Client {
  socket: net.Socket;
  text(): string;
  closed: Promise<void>;
  waitFor(re: RegExp, ms?: number): Promise<string>;
}

async function client(port: number): Promise<Client> {
  const socket = net.connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  let buf = '';
  socket.on('data', (d) => {
    buf += d.toString('utf8');
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return {
    socket,
    text: () => buf,
    closed,
    waitFor: (re, ms = 3000) =>
      eventually(
        () => buf,
        (b) => re.test(b),
        ms,
      ),
  };
}

describe('inbound event socket: bad input', () => {
  it('a wrong password gets -ERR invalid and the disconnect notice, then the socket closes', async () => {
    rig = await startRig();
    const c = await client(rig.esl.port);
    await c.waitFor(/Content-Type: auth\/request\n\n/);
    c.socket.write('auth S3cretGuess\n\n');
    await c.closed;
    expect(c.text()).toBe(
      'Content-Type: auth/request\n\n' +
        'Content-Type: command/reply\nReply-Text: -ERR invalid\n\n' +
        'Content-Type: text/disconnect-notice\nContent-Length: 67\n\n' +
        'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n',
    );
    expect(rig.logs.some((l) => /wrong password/.test(l.msg))).toBe(true);
    // The password tried is never logged.
    expect(rig.logs.some((l) => JSON.stringify(l).includes('S3cretGuess'))).toBe(false);
    // The server goes on: fsmrf connects.
    await rig.connectMs();
  });

  it('commands before auth get no answer, a command in pieces is assembled, exit says goodbye', async () => {
    rig = await startRig();
    const c = await client(rig.esl.port);
    await c.waitFor(/auth\/request/);
    c.socket.write('api status\n\n');
    await new Promise((r) => setTimeout(r, 100));
    expect(c.text()).toBe('Content-Type: auth/request\n\n');
    expect(rig.logs.some((l) => /before auth/.test(l.msg))).toBe(true);
    c.socket.write('auth Clue');
    c.socket.write('Con\n');
    await new Promise((r) => setTimeout(r, 40));
    c.socket.write('\n');
    await c.waitFor(/\+OK accepted/);
    c.socket.write('bogus command\n\napi bogus_api 1 2\n\nevent json NOTHING_KNOWN\n\n');
    await c.waitFor(/-ERR no keywords supplied/);
    expect(c.text()).toContain('Reply-Text: -ERR command not found\n\n');
    expect(c.text()).toContain(
      'Content-Type: api/response\nContent-Length: 34\n\n-ERR bogus_api Command not found!\n',
    );
    c.socket.write('sendmsg 00000000-0000-0000-0000-000000000000\ncall-command: execute\n\n');
    await c.waitFor(/-ERR invalid session id \[00000000-0000-0000-0000-000000000000\]/);
    c.socket.write('exit\n\n');
    await c.closed;
    expect(c.text()).toMatch(/Reply-Text: \+OK bye\n\nContent-Type: text\/disconnect-notice\n/);
  });

  it('garbage without an end of command is cut off with a log line; nothing is left open', async () => {
    rig = await startRig();
    const c = await client(rig.esl.port);
    await c.waitFor(/auth\/request/);
    c.socket.write(Buffer.alloc(70 * 1024, 0x41));
    await c.closed;
    expect(rig.logs.some((l) => /garbage/.test(l.msg))).toBe(true);
    await eventually(
      () => rig?.media.counts().eslInbound,
      (n) => n === 0,
    );
    const ms = await rig.connectMs();
    expect(await ms.api('uuid_exists nope')).toBe('false');
  });

  it('binary garbage with blank lines is answered like unknown commands and the connection survives', async () => {
    rig = await startRig();
    const c = await client(rig.esl.port);
    await c.waitFor(/auth\/request/);
    c.socket.write('auth ClueCon\n\n');
    await c.waitFor(/\+OK accepted/);
    c.socket.write(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x0a]));
    await c.waitFor(/-ERR command not found/);
    c.socket.write('event json BACKGROUND_JOB\n\nbgapi uuid_exists nope\nJob-UUID: job-1\n\n');
    await c.waitFor(/"Job-UUID":"job-1"/);
    expect(c.text()).toContain('Reply-Text: +OK Job-UUID: job-1\nJob-UUID: job-1\n\n');
    expect(c.text()).toMatch(/"Job-Command":"uuid_exists".*"Content-Length":"5","_body":"false"/);
    c.socket.write('api sofia status\n\n');
    await c.waitFor(/drachtio_mrf\tprofile\t {2}\s*sip:mod_sofia@127\.0\.0\.1:\d+\tRUNNING \(0\)/);
  });
});

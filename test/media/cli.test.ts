/**
 * `npm run media-server` runs the embedded media server on its own: it
 * listens where told, answers an event-socket client as FreeSWITCH does, and
 * stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../support/ports.ts';
import { eventually } from './harness.ts';

describe('media-server command', () => {
  it('listens on the given ports, answers sofia status, exits 0 on SIGTERM', async () => {
    const [esl, sip, rtp] = (await freePorts(3)) as [number, number, number];
    const rtpMin = rtp + (rtp % 2);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/media/cli.ts',
        '--esl',
        `127.0.0.1:${esl}`,
        '--password',
        'Secret1',
        '--sip',
        `127.0.0.1:${sip}`,
        '--rtp',
        `${rtpMin}-${rtpMin + 10}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await eventually(
        () => out,
        (o) => o.includes('embedded media server listening'),
        20_000,
      );
      const socket = net.connect({ host: '127.0.0.1', port: esl });
      let text = '';
      socket.on('data', (d) => {
        text += d;
      });
      await new Promise((r) => socket.once('connect', r));
      socket.write('auth Secret1\n\napi sofia status\n\n');
      await eventually(
        () => text,
        (t) => t.includes('1 profile 0 aliases'),
      );
      expect(text).toContain(`sip:mod_sofia@127.0.0.1:${sip}\tRUNNING (0)`);
      socket.destroy();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses a bad option with a message naming it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/media/cli.ts', '--rtp', '9-3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(err).toMatch(/--rtp: expected first-last/);
  });
});

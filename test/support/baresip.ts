/**
 * Runs Debian's baresip (1.0.0) headless as a real softphone over loopback:
 * a configuration folder of its own (`config`, `accounts`), no audio or UI
 * modules, SIP trace on (-s) so a failed test can show what it saw. The
 * output is collected; `stop()` ends the process (SIGTERM, then SIGKILL)
 * and resolves once it has exited.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface BaresipOptions {
  /** Where baresip listens (its Contact). */
  localPort: number;
  /** The registrar: host and port of the SIP server. */
  registrar: { host: string; port: number };
  username: string;
  password: string;
  transport?: 'udp' | 'tcp';
  /** Registration interval asked for (seconds). */
  regintS?: number;
}

export interface Baresip {
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves when `pattern` appears in the output; rejects after `timeoutMs` with the output. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startBaresip(options: BaresipOptions): Promise<Baresip> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'acd-baresip-'));
  const transport = options.transport ?? 'udp';
  const { host, port } = options.registrar;
  await writeFile(
    path.join(dir, 'config'),
    [
      `sip_listen\t\t127.0.0.1:${options.localPort}`,
      'module_path\t\t/usr/lib/baresip/modules',
      'module\t\t\tg711.so',
      'module_app\t\taccount.so',
      'audio_player\t\tnone',
      'audio_source\t\tnone',
      'audio_alert\t\tnone',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(dir, 'accounts'),
    `<sip:${options.username}@${host}:${port};transport=${transport}>;auth_pass=${options.password};regint=${options.regintS ?? 600}\n`,
    { mode: 0o600 },
  );
  let out = '';
  const watchers = new Set<() => void>();
  const child: ChildProcess = spawn('baresip', ['-f', dir, '-s'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const w of [...watchers]) w();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (err) => {
    out += `\n[spawn failed: ${err.message}]`;
  });

  return {
    output: () => out,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(out)) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`baresip: no ${pattern} within ${timeoutMs} ms; output:\n${out}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(kill);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/runtime/logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: 'trace', destination });
  return { logger, lines, text: () => lines.join('\n') };
}

const SECRETS = [
  'hunter2-password',
  'admin-token-0123456789',
  'c0ffee1234567890c0ffee1234567890',
  'beefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeefbeef',
  'shared-drachtio-secret',
  'dbpassword99',
];

describe('logger', () => {
  it('writes JSON lines with level label and time', () => {
    const { logger, lines } = capture();
    logger.info({ departmentId: 7 }, 'hello');
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'info', msg: 'hello', departmentId: 7 });
    expect(typeof entry.time).toBe('string');
  });

  it('never writes passwords, tokens, digest hashes or Authorization headers', () => {
    const { logger, text } = capture();
    logger.info(
      {
        password: SECRETS[0],
        agent: { sipPassword: SECRETS[0], ha1Md5: SECRETS[2], ha1Sha256: SECRETS[3] },
        req: { headers: { authorization: `Bearer ${SECRETS[1]}`, host: 'x' } },
        config: { api: { token: SECRETS[1] }, drachtio: { secret: SECRETS[4] } },
        list: [{ apiToken: SECRETS[1] }],
      },
      'object with secrets',
    );
    logger.child({ token: SECRETS[1] }).warn('child bindings with a secret');
    logger.info(`free text with Authorization: Bearer ${SECRETS[1]}`);
    logger.info({ url: `postgres://acd:${SECRETS[5]}@db:5432/acd` }, 'connection url');
    logger.info({ path: `/api/events?token=${SECRETS[1]}` }, 'query token');
    logger.info({ header: `Digest username="a", response="${SECRETS[2]}"` }, 'digest header');
    const err = Object.assign(new Error(`login failed for postgres://u:${SECRETS[5]}@h/d`), {
      password: SECRETS[0],
    });
    logger.error({ err }, 'error with secrets');
    const out = text();
    for (const s of SECRETS) expect(out).not.toContain(s);
    expect(out).toContain('[redacted]');
    // Ordinary fields survive.
    expect(out).toContain('"host":"x"');
    expect(out).toContain('error with secrets');
  });

  it('keeps the location of the token file (tokenFile is not a secret)', () => {
    const { logger, lines } = capture();
    logger.info({ tokenFile: '/var/lib/acd/api-token' }, 'token here');
    expect(JSON.parse(lines[0]!).tokenFile).toBe('/var/lib/acd/api-token');
  });

  it('survives cyclic objects', () => {
    const { logger, lines } = capture();
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    logger.info({ a }, 'cycle');
    expect(JSON.parse(lines[0]!).a.name).toBe('a');
  });
});

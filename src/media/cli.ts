/**
 * Runs the embedded media server on its own, for any drachtio-fsmrf app:
 *
 *   npm run media-server -- --esl 127.0.0.1:8021 --password ClueCon \
 *     --sip 127.0.0.1:5080 --rtp 30000-30100 [--rtp-address 127.0.0.1] \
 *     [--advertise 192.0.2.10] [--sounds ./sounds] [--recordings ./recordings] \
 *     [--local-stream moh=./sounds/music]... [--log-level debug]
 *
 * Environment variables (used when the option is absent): MEDIA_ESL,
 * MEDIA_PASSWORD, MEDIA_SIP, MEDIA_RTP, MEDIA_RTP_ADDRESS, MEDIA_ADVERTISE,
 * MEDIA_SOUNDS, MEDIA_RECORDINGS, LOG_LEVEL.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { closeOnSignal, hostPort, runCli } from '../edge/shared/cli-support.ts';
import { startMediaServer } from './index.ts';

function range(value: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(value.trim());
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min < 1 || max > 65535 || min > max) {
    throw new Error(`--rtp: expected first-last (e.g. 30000-30100), got "${value}"`);
  }
  return { min, max };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      esl: { type: 'string' },
      password: { type: 'string' },
      sip: { type: 'string' },
      rtp: { type: 'string' },
      'rtp-address': { type: 'string' },
      advertise: { type: 'string' },
      sounds: { type: 'string' },
      recordings: { type: 'string' },
      'local-stream': { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run media-server -- [--esl host:port] [--password PW] [--sip host:port] ' +
        '[--rtp first-last] [--rtp-address host] [--advertise host] [--sounds DIR] ' +
        '[--recordings DIR] [--local-stream name=DIR]... [--log-level info|debug]\n',
    );
    return;
  }
  const env = process.env;
  const esl = hostPort(values.esl ?? env.MEDIA_ESL ?? '127.0.0.1:8021', '--esl');
  const sip = hostPort(values.sip ?? env.MEDIA_SIP ?? '127.0.0.1:5080', '--sip');
  const rtp = range(values.rtp ?? env.MEDIA_RTP ?? '30000-30100');
  const rtpHost = values['rtp-address'] ?? env.MEDIA_RTP_ADDRESS ?? sip.host;
  const advertise = values.advertise ?? env.MEDIA_ADVERTISE;
  const localStreams: Record<string, string> = {};
  for (const item of values['local-stream'] ?? []) {
    const i = item.indexOf('=');
    if (i <= 0) throw new Error(`--local-stream: expected name=DIR, got "${item}"`);
    localStreams[item.slice(0, i)] = item.slice(i + 1);
  }
  const logger = pino({ level: values['log-level'] ?? env.LOG_LEVEL ?? 'info' });
  const server = await startMediaServer({
    esl,
    password: values.password ?? env.MEDIA_PASSWORD ?? 'ClueCon',
    sip: { ...sip, ...(advertise ? { advertisedHost: advertise } : {}) },
    rtp: { host: rtpHost, ...rtp, ...(advertise ? { advertisedHost: advertise } : {}) },
    soundDir: values.sounds ?? env.MEDIA_SOUNDS ?? '.',
    recordDir: values.recordings ?? env.MEDIA_RECORDINGS ?? '.',
    localStreams,
    logger,
  });
  logger.info(
    { esl: server.eslAddress, sip: server.sipAddress, rtp },
    'embedded media server listening',
  );
  closeOnSignal(server, logger);
}

runCli('media-server', main);

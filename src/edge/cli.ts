/**
 * Runs the embedded SIP server on its own, for any drachtio-srf app:
 *
 *   npm run sip-server -- --sip-udp 0.0.0.0:5060 --sip-tcp 0.0.0.0:5060 \
 *     --control 127.0.0.1:9022 --secret cymru [--advertise 192.0.2.10] [--log-level debug]
 *
 * Environment variables (used when the option is absent): SIP_UDP, SIP_TCP
 * (comma-separated host:port lists), DRACHTIO_CONTROL, DRACHTIO_SECRET,
 * SIP_ADVERTISED_ADDRESS, LOG_LEVEL, SIP_T1_MS, SIP_T2_MS, SIP_T4_MS.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { closeOnSignal, hostPort, runCli } from './shared/cli-support.ts';
import { type SipListen, startSipServer } from './index.ts';

function positiveMs(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${what}: expected a positive integer (ms), got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'sip-udp': { type: 'string', multiple: true },
      'sip-tcp': { type: 'string', multiple: true },
      control: { type: 'string' },
      secret: { type: 'string' },
      advertise: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run sip-server -- [--sip-udp host:port]... [--sip-tcp host:port]... ' +
        '[--control host:port] --secret SECRET [--advertise host] [--log-level info|debug]\n',
    );
    return;
  }
  const env = process.env;
  const list = (opt: string[] | undefined, envValue: string | undefined): string[] =>
    opt ?? (envValue ? envValue.split(',').filter((s) => s.trim() !== '') : []);
  const udp = list(values['sip-udp'], env.SIP_UDP);
  const tcp = list(values['sip-tcp'], env.SIP_TCP);
  const listen: SipListen[] = [
    ...udp.map((v) => ({ protocol: 'udp' as const, ...hostPort(v, '--sip-udp') })),
    ...tcp.map((v) => ({ protocol: 'tcp' as const, ...hostPort(v, '--sip-tcp') })),
  ];
  const secret = values.secret ?? env.DRACHTIO_SECRET;
  if (!secret) throw new Error('--secret (or DRACHTIO_SECRET) is required');
  const controlText = values.control ?? env.DRACHTIO_CONTROL;
  const logger = pino({ level: values['log-level'] ?? env.LOG_LEVEL ?? 'info' });
  const server = await startSipServer({
    ...(listen.length > 0 ? { listen } : {}),
    ...(controlText ? { control: hostPort(controlText, '--control') } : {}),
    secret,
    logger,
    timers: {
      ...(env.SIP_T1_MS ? { t1Ms: positiveMs(env.SIP_T1_MS, 'SIP_T1_MS') } : {}),
      ...(env.SIP_T2_MS ? { t2Ms: positiveMs(env.SIP_T2_MS, 'SIP_T2_MS') } : {}),
      ...(env.SIP_T4_MS ? { t4Ms: positiveMs(env.SIP_T4_MS, 'SIP_T4_MS') } : {}),
    },
    ...((values.advertise ?? env.SIP_ADVERTISED_ADDRESS)
      ? { advertisedAddress: (values.advertise ?? env.SIP_ADVERTISED_ADDRESS) as string }
      : {}),
  });
  logger.info(
    { sip: server.sipAddresses, control: server.controlAddress },
    'embedded SIP server listening',
  );
  closeOnSignal(server, logger);
}

runCli('sip-server', main);

/**
 * One event-socket connection, inbound (a client connected to port 8021) or
 * outbound (the media server connected to fsmrf's `X-esl-outbound` listener
 * for one channel, `socket ... async full`). Commands are answered one at a
 * time, in order, one reply each: modesl matches replies FIFO.
 *
 * States: inbound `awaiting-auth` -> `authed`; outbound `awaiting-connect`
 * -> `connected`; both end in `closed`.
 */
import { randomUUID } from 'node:crypto';
import type net from 'node:net';
import type { Logger } from 'pino';
import { isHangupCause } from '../channel/causes.ts';
import type { Channel } from '../channel/channel.ts';
import { type ApiHost, runApi } from './api.ts';
import { CommandReader, type EslCommand } from './command-reader.ts';
import { commonBlock } from './wire/event-common.ts';
import {
  apiResponse,
  authRequest,
  commandReply,
  DISCONNECT_BODY,
  disconnectNotice,
  type EslEvent,
  eventFrame,
  plainHeaders,
} from './wire/frames.ts';
import { Subscription } from './subscription.ts';

export type ConnState = 'awaiting-auth' | 'authed' | 'awaiting-connect' | 'connected' | 'closed';

export interface ConnHost extends ApiHost {
  password: string;
  log: Logger;
  fire(ev: EslEvent): void;
  closed(conn: EslConnection): void;
}

export class EslConnection {
  state: ConnState;
  readonly sub = new Subscription();
  private readonly reader = new CommandReader();
  private readonly log: Logger;
  /**
   * While a command is being answered, events it causes wait: FreeSWITCH
   * writes an api response before any event the command fired (`api` runs
   * in the connection's thread), and a disconnect must not cut the reply.
   */
  private held: string[] | undefined;
  private endHeld = false;

  constructor(
    private readonly host: ConnHost,
    private readonly socket: net.Socket,
    readonly kind: 'inbound' | 'outbound',
    /** The channel an outbound connection controls. */
    readonly channel?: Channel,
  ) {
    this.state = kind === 'inbound' ? 'awaiting-auth' : 'awaiting-connect';
    this.log = host.log.child({
      esl: kind,
      peer: `${socket.remoteAddress}:${socket.remotePort}`,
      ...(channel ? { channel: channel.uuid } : {}),
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.data(chunk));
    socket.on('error', (err) => this.log.info({ err: err.message }, 'event socket error'));
    socket.on('close', () => this.gone());
    if (kind === 'inbound') this.write(authRequest());
  }

  private write(text: string): void {
    if (this.state !== 'closed' && !this.socket.destroyed) this.socket.write(text);
  }

  /** Delivers an event if this connection subscribed to it. */
  offer(ev: EslEvent): void {
    if (this.state !== 'authed' && this.state !== 'connected') return;
    if (!this.sub.matches(ev)) return;
    const frame = eventFrame(ev, this.sub.format ?? 'json');
    if (this.held) this.held.push(frame);
    else this.write(frame);
  }

  /** Ends the connection with FreeSWITCH's goodbye (outbound: when its channel is gone). */
  end(): void {
    if (this.state === 'closed') return;
    if (this.held) {
      this.endHeld = true;
      return;
    }
    this.write(disconnectNotice(this.kind === 'outbound' ? this.channel?.uuid : undefined));
    this.state = 'closed';
    this.socket.end();
    // A peer that never reads would keep the socket open; it gets a short grace.
    this.socket.setTimeout(2000, () => this.socket.destroy());
  }

  /** Drops the socket at once (server shutdown, after the goodbye had its chance). */
  destroy(): void {
    this.socket.destroy();
  }

  private gone(): void {
    const was = this.state;
    this.state = 'closed';
    this.host.closed(this);
    if (was !== 'closed') this.log.info('event socket closed by peer');
  }

  private data(chunk: Buffer): void {
    const r = this.reader.push(chunk);
    if (!r.ok) {
      this.log.warn({ reason: r.error }, 'event socket: garbage from client, closing');
      this.socket.destroy();
      return;
    }
    for (const cmd of r.commands) {
      if (this.state === 'closed') return;
      this.command(cmd);
    }
  }

  private command(cmd: EslCommand): void {
    const line = cmd.line.trim();
    const space = line.indexOf(' ');
    const verb = (space < 0 ? line : line.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : line.slice(space + 1);
    if (verb === 'exit' || verb === '...') {
      this.write(commandReply('+OK bye'));
      this.end();
      return;
    }
    if (this.state === 'awaiting-auth') {
      this.unauthenticated(verb, rest);
      return;
    }
    if (this.state === 'awaiting-connect' && verb === 'connect') {
      this.connect();
      return;
    }
    const after: Array<() => void> = [];
    this.held = [];
    let reply: string;
    try {
      reply = this.dispatch(verb, rest, cmd, after);
    } catch (err) {
      this.log.error({ err, command: verb }, 'event socket: command failed');
      reply =
        verb === 'api' ? apiResponse('-ERR internal error\n') : commandReply('-ERR internal error');
    }
    const held = this.held;
    this.held = undefined;
    this.write(reply);
    for (const f of held) this.write(f);
    if (this.endHeld) {
      this.endHeld = false;
      this.end();
    }
    // Work a command starts (an application) begins after its reply is written.
    for (const fn of after) fn();
  }

  /** Before `auth` FreeSWITCH answers nothing but `auth` (and `exit`). */
  private unauthenticated(verb: string, rest: string): void {
    if (verb !== 'auth') {
      this.log.warn({ command: verb.slice(0, 40) }, 'event socket: command before auth ignored');
      return;
    }
    if (rest === this.host.password) {
      this.state = 'authed';
      this.write(commandReply('+OK accepted'));
      return;
    }
    this.log.warn('event socket: wrong password, disconnecting');
    this.write(
      `${commandReply('-ERR invalid')}Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(DISCONNECT_BODY)}\n\n${DISCONNECT_BODY}`,
    );
    this.state = 'closed';
    this.socket.end();
  }

  /** `connect` on an outbound socket: CHANNEL_DATA as the command's reply. */
  private connect(): void {
    const ch = this.channel;
    if (!ch) return;
    this.state = 'connected';
    const headers = ch.channelData('parse_command');
    this.write(
      `${plainHeaders(headers)}Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n`,
    );
  }

  private dispatch(verb: string, rest: string, cmd: EslCommand, after: Array<() => void>): string {
    const words = rest.trim().split(/\s+/).filter(Boolean);
    switch (verb) {
      case 'event':
        return commandReply(this.sub.subscribe(words));
      case 'nixevent':
        return commandReply(this.sub.nix(words));
      case 'noevents':
        return commandReply(this.sub.clear());
      case 'filter':
        return commandReply(this.sub.filter(rest));
      case 'myevents':
        if (this.kind === 'outbound' && this.channel) {
          this.sub.subscribe([words[0] === 'json' ? 'json' : 'plain', 'ALL']);
          this.sub.filter(`Unique-ID ${this.channel.uuid}`);
          return commandReply('+OK Events Enabled');
        }
        return commandReply('-ERR command not found');
      case 'api':
        return apiResponse(runApi(this.host, rest));
      case 'bgapi':
        return this.bgapi(rest, cmd);
      case 'sendmsg':
        return commandReply(this.sendmsg(rest.trim(), cmd, after));
      case 'getvar':
        return commandReply(this.channel?.vars.get(words[0] ?? '') ?? '');
      case 'linger':
        return commandReply(
          this.kind === 'outbound' ? '+OK will linger' : '-ERR not controlling a session',
        );
      case 'nolinger':
        return commandReply(
          this.kind === 'outbound' ? '+OK will not linger' : '-ERR not controlling a session',
        );
      case 'resume':
        return commandReply('+OK');
      case 'divert_events':
        return commandReply(words[0] === 'on' ? '+OK events diverted' : '+OK events not diverted');
      case 'log':
        return commandReply(`+OK log level ${words[0] ?? 'debug'} [7]`);
      case 'nolog':
        return commandReply('+OK no longer logging');
      case 'sendevent':
        return commandReply('+OK');
      default:
        this.log.info({ command: verb.slice(0, 40) }, 'event socket: unknown command');
        return commandReply('-ERR command not found');
    }
  }

  private bgapi(rest: string, cmd: EslCommand): string {
    const jobUuid = cmd.headers.get('job-uuid') ?? randomUUID();
    // The job runs after the reply is written, as FreeSWITCH's job thread does.
    setImmediate(() => {
      const body = runApi(this.host, rest);
      const space = rest.indexOf(' ');
      this.host.fire({
        name: 'BACKGROUND_JOB',
        headers: [
          ...commonBlock(this.host.identity, 'BACKGROUND_JOB', 'api_exec'),
          ['Job-UUID', jobUuid],
          ['Job-Command', space < 0 ? rest : rest.slice(0, space)],
          ['Job-Command-Arg', space < 0 ? '' : rest.slice(space + 1)],
        ],
        body,
      });
    });
    return commandReply(`+OK Job-UUID: ${jobUuid}`, [['Job-UUID', jobUuid]]);
  }

  private sendmsg(target: string, cmd: EslCommand, after: Array<() => void>): string {
    const uuid = target || cmd.headers.get('session-id') || this.channel?.uuid || '';
    const ch = this.host.channels.get(uuid);
    if (!ch?.alive) return `-ERR invalid session id [${uuid}]`;
    const command = (cmd.headers.get('call-command') ?? '').toLowerCase();
    if (command === 'execute') {
      const app = cmd.headers.get('execute-app-name') ?? '';
      const arg = cmd.headers.get('execute-app-arg') ?? (cmd.body ?? '').trim();
      const appUuid = cmd.headers.get('event-uuid') ?? randomUUID();
      // The reply goes out before CHANNEL_EXECUTE, as in FreeSWITCH.
      after.push(() => ch.execute(app, arg, appUuid));
      return '+OK';
    }
    if (command === 'hangup') {
      const cause = (cmd.headers.get('hangup-cause') ?? '').toUpperCase();
      after.push(() => ch.hangup(isHangupCause(cause) ? cause : 'NORMAL_CLEARING'));
      return '+OK';
    }
    if (command === 'unicast' || command === 'nomedia' || command === 'xferext') {
      return `-ERR embedded media server: ${command} is not supported`;
    }
    return '-ERR invalid command';
  }
}

/**
 * Every environment variable the product reads, the key it sets and how its
 * text is read. docs/configuration.md lists the same table for users.
 */

export type EnvKind = 'string' | 'int' | 'list';

export interface EnvOverride {
  env: string;
  key: string;
  kind: EnvKind;
  description: string;
}

/** Every environment variable the product reads (docs/configuration.md lists the same). */
export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { env: 'ACD_HTTP_HOST', key: 'http.host', kind: 'string', description: 'API listen address' },
  { env: 'ACD_HTTP_PORT', key: 'http.port', kind: 'int', description: 'API port (0 = any free)' },
  {
    env: 'DATABASE_URL',
    key: 'database.url',
    kind: 'string',
    description: 'Postgres server URL; unset = embedded PGlite in the data folder',
  },
  {
    env: 'ACD_DATA_DIR',
    key: 'database.dataDir',
    kind: 'string',
    description: 'data folder (PGlite database, generated API token)',
  },
  {
    env: 'ACD_DB_POOL_MAX',
    key: 'database.poolMax',
    kind: 'int',
    description: 'Postgres connection pool size',
  },
  { env: 'ACD_API_TOKEN', key: 'api.token', kind: 'string', description: 'API bearer token' },
  {
    env: 'ACD_API_READ_TOKEN',
    key: 'api.readToken',
    kind: 'string',
    description: 'optional read-only token (wallboards): GET and events, writes get 403',
  },
  {
    env: 'ACD_API_TOKEN_FILE',
    key: 'api.tokenFile',
    kind: 'string',
    description: 'where the generated token is kept (default <dataDir>/api-token)',
  },
  {
    env: 'ACD_EVENTS_MAX_BUFFERED_BYTES',
    key: 'api.events.maxBufferedBytes',
    kind: 'int',
    description: 'event stream: unsent bytes a client may hold before it is dropped (1008)',
  },
  {
    env: 'ACD_EVENTS_MAX_CLIENTS_PER_TOKEN',
    key: 'api.events.maxClientsPerToken',
    kind: 'int',
    description: 'event stream: most connections per token (more get 429)',
  },
  { env: 'ACD_LOG_LEVEL', key: 'log.level', kind: 'string', description: 'pino log level' },
  { env: 'ACD_SIP_REALM', key: 'sip.realm', kind: 'string', description: 'SIP digest realm' },
  { env: 'ACD_SIP_HOST', key: 'sip.host', kind: 'string', description: 'SIP listen address' },
  { env: 'ACD_SIP_PORT', key: 'sip.port', kind: 'int', description: 'SIP listen port' },
  {
    env: 'ACD_SIP_TRANSPORTS',
    key: 'sip.transports',
    kind: 'list',
    description: 'comma-separated: udp,tcp',
  },
  {
    env: 'ACD_SIP_REALTIME_PRIORITY',
    key: 'sip.realtimePriority',
    kind: 'int',
    description: "SCHED_RR priority for the embedded SIP server's thread, if allowed (0 = never)",
  },
  {
    env: 'ACD_REGISTER_MIN_EXPIRES',
    key: 'sip.registrar.minExpires',
    kind: 'int',
    description: 'shortest REGISTER Expires accepted (423 below)',
  },
  {
    env: 'ACD_REGISTER_MAX_EXPIRES',
    key: 'sip.registrar.maxExpires',
    kind: 'int',
    description: 'longest REGISTER Expires granted',
  },
  {
    env: 'ACD_REGISTER_PROBE_INTERVAL_S',
    key: 'sip.registrar.probeIntervalS',
    kind: 'int',
    description: 'seconds between OPTIONS probes of each registered device (0 = none)',
  },
  {
    env: 'ACD_REGISTER_ALGORITHMS',
    key: 'sip.registrar.algorithms',
    kind: 'list',
    description: 'digest algorithms offered, in order: MD5 (default), SHA-256',
  },
  {
    env: 'ACD_TRUNK_ADDRESSES',
    key: 'sip.trunk.addresses',
    kind: 'list',
    description: 'comma-separated addresses calls are accepted from',
  },
  {
    env: 'ACD_TRUNK_URI',
    key: 'sip.trunk.outboundUri',
    kind: 'string',
    description: 'outbound trunk SIP URI for mobiles',
  },
  {
    env: 'ACD_DRACHTIO_HOST',
    key: 'drachtio.host',
    kind: 'string',
    description: 'real drachtio-server host; unset = embedded SIP server',
  },
  {
    env: 'ACD_DRACHTIO_PORT',
    key: 'drachtio.port',
    kind: 'int',
    description: 'drachtio control port',
  },
  {
    env: 'ACD_DRACHTIO_SECRET',
    key: 'drachtio.secret',
    kind: 'string',
    description: 'drachtio control secret',
  },
  {
    env: 'ACD_FREESWITCH_HOST',
    key: 'media.freeswitch.host',
    kind: 'string',
    description: 'FreeSWITCH event socket host; unset = embedded media',
  },
  {
    env: 'ACD_FREESWITCH_PORT',
    key: 'media.freeswitch.port',
    kind: 'int',
    description: 'FreeSWITCH event socket port',
  },
  {
    env: 'ACD_FREESWITCH_SECRET',
    key: 'media.freeswitch.secret',
    kind: 'string',
    description: 'FreeSWITCH event socket password',
  },
  {
    env: 'ACD_RTP_PORT_MIN',
    key: 'media.rtpPortMin',
    kind: 'int',
    description: 'first RTP port',
  },
  { env: 'ACD_RTP_PORT_MAX', key: 'media.rtpPortMax', kind: 'int', description: 'last RTP port' },
  {
    env: 'ACD_MIN_ROUND_INTERVAL_MS',
    key: 'routing.minRoundIntervalMs',
    kind: 'int',
    description: 'least time between two rounds of rings for one call',
  },
  {
    env: 'ACD_MEDIA_CALLERS',
    key: 'media.callers',
    kind: 'string',
    description: 'answer = queued callers hear prompts and music; ringback = only a 180',
  },
  {
    env: 'ACD_MEDIA_TIMEOUT_S',
    key: 'media.timeoutS',
    kind: 'int',
    description: 'no RTP from a queued caller for this long ends the call (0 = never)',
  },
  {
    env: 'ACD_MEDIA_CONFIRM_TIMEOUT_S',
    key: 'media.confirmTimeoutS',
    kind: 'int',
    description: 'seconds a mobile answer has to be accepted with 1',
  },
  {
    env: 'ACD_MEDIA_PROMPTS_DIR',
    key: 'media.promptsDir',
    kind: 'string',
    description: 'folder of the default prompts',
  },
  {
    env: 'ACD_MEDIA_MOH_DIR',
    key: 'media.mohDir',
    kind: 'string',
    description: 'folder of the default music on hold',
  },
  {
    env: 'ACD_MEDIA_HOST',
    key: 'media.embedded.host',
    kind: 'string',
    description: 'embedded media server: bind address (event socket, SIP, RTP)',
  },
  {
    env: 'ACD_MEDIA_ESL_PORT',
    key: 'media.embedded.eslPort',
    kind: 'int',
    description: 'embedded media server: event socket port',
  },
  {
    env: 'ACD_MEDIA_PASSWORD',
    key: 'media.embedded.password',
    kind: 'string',
    description: 'embedded media server: event socket password (unset = random per start)',
  },
  {
    env: 'ACD_MEDIA_SIP_PORT',
    key: 'media.embedded.sipPort',
    kind: 'int',
    description: 'embedded media server: SIP port for fsmrf INVITEs',
  },
  {
    env: 'ACD_MEDIA_SOUND_DIR',
    key: 'media.embedded.soundDir',
    kind: 'string',
    description: 'embedded media server: folder of prompts (relative playback paths)',
  },
  {
    env: 'ACD_MEDIA_RECORD_DIR',
    key: 'media.embedded.recordDir',
    kind: 'string',
    description: 'embedded media server: folder for relative recording paths',
  },
  {
    env: 'ACD_SHUTDOWN_GRACE_MS',
    key: 'shutdown.graceMs',
    kind: 'int',
    description: 'how long shutdown waits for in-flight work',
  },
  {
    env: 'ACD_INSTANCE_ID',
    key: 'leadership.instanceId',
    kind: 'string',
    description: 'name of this instance in logs and the call log (default: host name and pid)',
  },
  {
    env: 'ACD_LEADER_LEASE_MS',
    key: 'leadership.leaseMs',
    kind: 'int',
    description:
      'routing lease length: a standby takes over at most this long after the leader stops',
  },
  {
    env: 'ACD_LEADER_RENEW_MS',
    key: 'leadership.renewMs',
    kind: 'int',
    description: 'how often the leader renews its lease and a standby tries to take it',
  },
];

/**
 * The shape of the configuration, with ranges and cross-field rules. Defaults
 * live in config/default.json; config.ts merges and validates.
 */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().min(1);
const nonEmpty = z.string().min(1);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = z
  .strictObject({
    http: z.strictObject({ host: nonEmpty, port }),
    database: z.strictObject({
      /** null = embedded PGlite in `dataDir`. */
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
        .nullable(),
      dataDir: nonEmpty,
      poolMax: positiveInt.max(100),
    }),
    api: z.strictObject({
      /** null = read or create `tokenFile` (embedded mode only). */
      token: z.string().min(16, 'must be at least 16 characters').nullable(),
      /** Optional second token allowed to read (GET, event stream) but not to change anything. */
      readToken: z.string().min(16, 'must be at least 16 characters').nullable(),
      /** null = `<dataDir>/api-token`. */
      tokenFile: nonEmpty.nullable(),
      /** The WebSocket event stream's limits against clients that connect and do not read. */
      events: z.strictObject({
        /** A client with more unsent data than this is dropped (close code 1008). */
        maxBufferedBytes: z
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 * 1024),
        /** Most connections per token; more are refused with 429. */
        maxClientsPerToken: positiveInt.max(100_000),
      }),
    }),
    log: z.strictObject({ level: z.enum(LOG_LEVELS) }),
    sip: z.strictObject({
      /** Digest realm; changing it invalidates every stored password hash. */
      realm: nonEmpty,
      host: nonEmpty,
      port,
      transports: z.array(z.enum(['udp', 'tcp'])).min(1),
      /**
       * SCHED_RR priority the embedded SIP server's thread asks for, where the
       * process may have it (CAP_SYS_NICE or RLIMIT_RTPRIO); 0 = never ask.
       */
      realtimePriority: z.number().int().min(0).max(99),
      /**
       * Run the embedded SIP server on a worker thread of its own (default);
       * false keeps it on the app's thread (comparisons, profiling).
       */
      workerThread: z.boolean(),
      /**
       * RFC 3261 Timer C of the SIP server: an INVITE with no final answer
       * this long after its last provisional response is cancelled. The
       * embedded server uses it; with drachtio-server it must be drachtio's
       * (185 s). A new leader holds a callback back this long (plus a margin)
       * after a dead leader's INVITE to its customer (docs/callbacks.md).
       */
      timerCS: z.number().int().min(1).max(600),
      registrar: z.strictObject({
        minExpires: positiveInt,
        maxExpires: positiveInt,
        /**
         * Seconds between OPTIONS probes of each registered device; a device
         * that stops answering gets no calls until it answers again. 0 = no
         * probing (devices that answer nothing but INVITEs).
         */
        probeIntervalS: z.number().int().min(0),
        /**
         * Digest algorithms offered, in order. MD5 alone by default: many
         * softphones refuse the whole challenge when one names SHA-256.
         */
        algorithms: z
          .array(z.enum(['SHA-256', 'MD5']))
          .min(1)
          .default(['MD5']),
      }),
      trunk: z.strictObject({
        /** Addresses calls are accepted from besides registered agents. */
        addresses: z.array(nonEmpty),
        /** SIP URI of the outbound trunk used to reach mobiles; null = no mobiles. */
        outboundUri: z
          .string()
          .regex(/^sips?:/, 'must be a sip: or sips: URI')
          .nullable(),
      }),
    }),
    drachtio: z.strictObject({
      /** null = start the embedded SIP server and listen for srf on 127.0.0.1:`port`. */
      host: nonEmpty.nullable(),
      port,
      /** Required with a real drachtio-server; the embedded one makes its own when null. */
      secret: nonEmpty.nullable(),
    }),
    media: z.strictObject({
      freeswitch: z.strictObject({
        /** null = embedded RTP media. */
        host: nonEmpty.nullable(),
        port,
        secret: nonEmpty.nullable(),
      }),
      rtpPortMin: port,
      rtpPortMax: port,
      /** 'answer': queued callers are answered into media; 'ringback': they hear only a 180. */
      callers: z.enum(['answer', 'ringback']),
      /** No RTP from a queued caller for this long ends the call (0 = never). */
      timeoutS: z.number().int().min(0).max(3600),
      /** A mobile leg's answer must be accepted with 1 within this many seconds (human-answer check). */
      confirmTimeoutS: z.number().int().min(2).max(60),
      /** Shipped prompts and music (relative to the working folder, or absolute). */
      promptsDir: nonEmpty,
      mohDir: nonEmpty,
      /**
       * Voicemail WAV files: written by the media server, read by the API.
       * null = `<database.dataDir>/voicemail`. With FreeSWITCH or several
       * instances, a folder at the same path on every host (a shared volume).
       */
      voicemailDir: nonEmpty.nullable(),
      /**
       * Call recordings (stereo WAV), as voicemailDir; null =
       * `<database.dataDir>/recordings`.
       */
      recordingsDir: nonEmpty.nullable(),
      /** The embedded media server (src/media), used when media.freeswitch.host is null. */
      embedded: z.strictObject({
        /** Address its event socket, SIP UAS and RTP bind to (loopback unless the app is elsewhere). */
        host: nonEmpty,
        /** Inbound event socket port (FreeSWITCH's 8021). */
        eslPort: port,
        /** Event socket password; null = a random one made at each start. */
        password: nonEmpty.nullable(),
        /** SIP port for drachtio-fsmrf's INVITEs (FreeSWITCH's drachtio_mrf profile: 5080). */
        sipPort: port,
        /** Relative prompt paths are read from here. */
        soundDir: nonEmpty,
        /** Relative recording paths are written here. */
        recordDir: nonEmpty,
      }),
    }),
    routing: z.strictObject({
      /**
       * Least time between two rounds of rings for one call (each agent is
       * rung at most once per round): caps rings per agent per call when rings
       * fail at once (a trunk that rejects, retryDelayS 0).
       */
      minRoundIntervalMs: z.number().int().min(100).max(60_000),
    }),
    shutdown: z.strictObject({ graceMs: z.number().int().min(0).max(600_000) }),
    /** Several instances on one Postgres server: which one routes (docs/scaling.md). */
    leadership: z.strictObject({
      /** Names this instance in logs, the call log and the lease; null = host name and pid. */
      instanceId: z
        .string()
        .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1-64 letters, digits or . _ : -')
        .nullable(),
      /** How long a lease lasts without renewal: a standby takes over at most this long after the leader stops. */
      leaseMs: z.number().int().min(1000).max(60_000),
      /** How often the leader renews and a standby tries to take the lease. */
      renewMs: z.number().int().min(100).max(20_000),
    }),
  })
  .superRefine((c, ctx) => {
    if (c.sip.registrar.minExpires > c.sip.registrar.maxExpires) {
      ctx.addIssue({
        code: 'custom',
        path: ['sip', 'registrar', 'minExpires'],
        message: 'must not be greater than sip.registrar.maxExpires',
      });
    }
    if (c.media.rtpPortMin > c.media.rtpPortMax) {
      ctx.addIssue({
        code: 'custom',
        path: ['media', 'rtpPortMin'],
        message: 'must not be greater than media.rtpPortMax',
      });
    }
    // The leader stops routing one renewal before its lease ends (fencing);
    // at least two renewals must fit in a lease for that margin to exist.
    if (c.leadership.renewMs * 3 > c.leadership.leaseMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['leadership', 'renewMs'],
        message: 'must be at most a third of leadership.leaseMs',
      });
    }
    if (c.drachtio.host !== null && c.drachtio.secret === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['drachtio', 'secret'],
        message: 'is required when drachtio.host names a drachtio-server',
      });
    }
    if (c.media.freeswitch.host !== null && c.media.freeswitch.secret === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['media', 'freeswitch', 'secret'],
        message: 'is required when media.freeswitch.host is set',
      });
    }
    // A generated token lives in the data folder; a production deployment
    // with a database server has no business writing secrets to local disk.
    if (c.api.readToken !== null && c.api.readToken === c.api.token) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'readToken'],
        message: 'must differ from api.token',
      });
    }
    if (c.database.url !== null && c.api.token === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'token'],
        message: 'is required when database.url (DATABASE_URL) is set',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

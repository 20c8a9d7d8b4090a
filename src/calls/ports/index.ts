/**
 * The narrow interfaces call control needs from the outside world. `calls/`
 * depends only on these; the composition root (src/app) adapts the store,
 * the logger and the metrics to them.
 */

/** Digest HA1 hashes of an agent's SIP password, as stored (never the password). */
export interface DigestCredentials {
  agentId: string;
  sipUsername: string;
  /** H(username ":" realm ":" password) with MD5, hex; null when not stored. */
  ha1Md5: string | null;
  /** The same with SHA-256. */
  ha1Sha256: string | null;
}

export interface CredentialsLookup {
  /** The agent's digest hashes, or null when no agent has this SIP username. */
  getCredentials(sipUsername: string): Promise<DigestCredentials | null>;
}

export type SipTransport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** One registered contact of an agent (RFC 3261 §10.3 binding). */
export interface RegistrationBinding {
  agentId: string;
  /** The Contact URI as the device sent it (without header parameters). */
  contactUri: string;
  /** Epoch ms at which the binding lapses unless refreshed. */
  expiresAt: number;
  callId: string;
  cseq: number;
  /** Where the REGISTER came from (the device's address as seen by us, after NAT). */
  sourceAddress: string;
  sourcePort: number;
  transport: SipTransport;
  userAgent: string | null;
  /** Epoch ms of the REGISTER that created or last refreshed the binding. */
  updatedAt: number;
}

/** Persistence of registrations, so a restart keeps them. */
export interface RegistrationStore {
  listForAgent(agentId: string): Promise<RegistrationBinding[]>;
  /**
   * Applies one REGISTER's changes for one agent atomically: upserts (keyed by
   * agentId + contactUri) and removals.
   */
  apply(
    agentId: string,
    upserts: RegistrationBinding[],
    removedContactUris: string[],
  ): Promise<void>;
  /** Deletes bindings whose expiresAt <= now; returns the agent ids that lost one. */
  purgeExpired(now: number): Promise<string[]>;
}

/** Where the call-log writer puts events (the store's call log in the app). */
export interface CallLogSink<E> {
  /** Writes the events in order, all or nothing (one transaction). */
  append(events: readonly E[]): Promise<void>;
}

/** A pino-compatible subset. Never pass secrets (passwords, hashes, nonces' HMAC keys). */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export type Clock = () => number;

/** A finished recording of a call (stereo WAV: caller left, agent right). */
export interface SavedRecording {
  callId: string;
  /** As the media server wrote it. */
  path: string;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
}

/** Where recordings of anchored calls go (the store's recordings in the app). */
export interface CallRecordings {
  /** The file the media server writes the call's recording to (as the media server sees it). */
  fileFor(callId: string): string;
  /** The recording is complete (stopped, or the call ended). */
  saved(recording: SavedRecording): void;
}

/**
 * Softphone registrations (bindings): one row per agent and contact URI. The
 * registrar upserts on REGISTER, removes on Expires: 0, and sweeps expired
 * rows; the dialer reads the live contacts of an agent.
 */
import type { Db, SqlParam } from './db.ts';
import { isUuid, orNotFound, toDate } from './sql-helpers.ts';

export type SipTransport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface Registration {
  id: string;
  agentId: string;
  contactUri: string;
  expiresAt: Date;
  sourceAddress: string;
  sourcePort: number;
  transport: SipTransport;
  userAgent: string | null;
  /** Call-ID and CSeq of the REGISTER that wrote the binding. */
  sipCallId: string | null;
  cseq: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RegistrationInput {
  agentId: string;
  contactUri: string;
  expiresAt: Date;
  sourceAddress: string;
  sourcePort: number;
  transport: SipTransport;
  userAgent?: string | null;
  sipCallId?: string | null;
  cseq?: number | null;
}

interface RegistrationRecord {
  id: string;
  agent_id: string;
  contact_uri: string;
  expires_at: Date;
  source_address: string;
  source_port: number;
  transport: SipTransport;
  user_agent: string | null;
  sip_call_id: string | null;
  cseq: number | null;
  created_at: Date;
  updated_at: Date;
}

function fromRecord(r: RegistrationRecord): Registration {
  return {
    id: r.id,
    agentId: r.agent_id,
    contactUri: r.contact_uri,
    expiresAt: toDate(r.expires_at),
    sourceAddress: r.source_address,
    sourcePort: r.source_port,
    transport: r.transport,
    userAgent: r.user_agent,
    sipCallId: r.sip_call_id,
    cseq: r.cseq,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

export interface RegistrationsRepo {
  /** Every binding, or only those still valid at `activeAt`. */
  list(filter?: { agentId?: string; activeAt?: Date }): Promise<Registration[]>;
  /** Inserts or refreshes the binding of (agentId, contactUri). */
  upsert(input: RegistrationInput): Promise<Registration>;
  /** Removes one binding; false when there was none. */
  remove(agentId: string, contactUri: string): Promise<boolean>;
  /** Removes every binding of an agent (REGISTER with `Contact: *`); returns how many. */
  removeAllForAgent(agentId: string): Promise<number>;
  /** Deletes bindings expired at `now`; returns how many. */
  removeExpired(now: Date): Promise<number>;
  /** Deletes bindings expired at `now` in one statement and returns them (e.g. whose devices changed). */
  takeExpired(now: Date): Promise<Registration[]>;
}

export function registrationsRepo(db: Db): RegistrationsRepo {
  return {
    async list(filter = {}) {
      const params: SqlParam[] = [];
      const where: string[] = [];
      if (filter.agentId !== undefined) {
        if (!isUuid(filter.agentId)) return [];
        params.push(filter.agentId);
        where.push(`agent_id = $${params.length}`);
      }
      if (filter.activeAt !== undefined) {
        params.push(filter.activeAt);
        where.push(`expires_at > $${params.length}`);
      }
      const { rows } = await db.query<RegistrationRecord>(
        `SELECT * FROM registrations ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY agent_id, created_at, contact_uri`,
        params,
      );
      return rows.map(fromRecord);
    },
    async upsert(input) {
      const { rows } = await db.query<RegistrationRecord>(
        `INSERT INTO registrations (agent_id, contact_uri, expires_at, source_address, source_port,
           transport, user_agent, sip_call_id, cseq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (agent_id, contact_uri) DO UPDATE SET
           expires_at = EXCLUDED.expires_at, source_address = EXCLUDED.source_address,
           source_port = EXCLUDED.source_port, transport = EXCLUDED.transport,
           user_agent = EXCLUDED.user_agent, sip_call_id = EXCLUDED.sip_call_id,
           cseq = EXCLUDED.cseq, updated_at = now()
         RETURNING *`,
        [
          input.agentId,
          input.contactUri,
          input.expiresAt,
          input.sourceAddress,
          input.sourcePort,
          // SIP spells transports in capitals (Via: SIP/2.0/UDP); stored lowercase.
          input.transport.toLowerCase(),
          input.userAgent ?? null,
          input.sipCallId ?? null,
          input.cseq ?? null,
        ],
      );
      return fromRecord(orNotFound(rows[0], 'registration', input.contactUri));
    },
    async remove(agentId, contactUri) {
      if (!isUuid(agentId)) return false;
      const { rowCount } = await db.query(
        'DELETE FROM registrations WHERE agent_id = $1 AND contact_uri = $2',
        [agentId, contactUri],
      );
      return rowCount > 0;
    },
    async removeAllForAgent(agentId) {
      if (!isUuid(agentId)) return 0;
      const { rowCount } = await db.query('DELETE FROM registrations WHERE agent_id = $1', [
        agentId,
      ]);
      return rowCount;
    },
    async removeExpired(now) {
      const { rowCount } = await db.query('DELETE FROM registrations WHERE expires_at <= $1', [
        now,
      ]);
      return rowCount;
    },
    async takeExpired(now) {
      const { rows } = await db.query<RegistrationRecord>(
        'DELETE FROM registrations WHERE expires_at <= $1 RETURNING *',
        [now],
      );
      return rows.map(fromRecord).sort((a, b) => a.agentId.localeCompare(b.agentId));
    },
  };
}

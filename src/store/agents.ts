/**
 * Agents. The digest hashes of the SIP password are write-only here: no list
 * or get returns them; only `getCredentials(sipUsername)` does, for the
 * registrar's digest challenge.
 */
import type { ForwardingMode, Presence } from '../acd/model/types.ts';
import type { Db, SqlParam } from './db.ts';
import { NotFoundError } from './errors.ts';
import {
  columnsOf,
  insertParts,
  isUuid,
  orNotFound,
  setClause,
  toDate,
  toDateOrNull,
} from './sql-helpers.ts';

export type { ForwardingMode, Presence };
export type AgentStatus = Presence;

export interface Agent {
  id: string;
  name: string;
  sipUsername: string;
  /** Whether digest hashes are stored (the agent can register a softphone). */
  hasSipPassword: boolean;
  /** E.164 or null. */
  mobileNumber: string | null;
  forwardingMode: ForwardingMode;
  /** For 'softphone-then-mobile': seconds the softphones ring alone. */
  mobileDelayS: number;
  maxConcurrentCalls: number;
  status: AgentStatus;
  /** End of a break; null otherwise. */
  statusUntil: Date | null;
  statusReason: string | null;
  mayChangeOwnStatus: boolean;
  /** A mobile leg that answers must be accepted with 1 before the caller is connected. */
  confirmMobileAnswer: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** HA1 = H(username:realm:password) as lowercase hex; see src/api/digest.ts. */
export interface DigestHashes {
  ha1Md5: string;
  ha1Sha256: string;
}

export interface AgentInput {
  name: string;
  sipUsername: string;
  /** Both or neither; they must have been computed with this `sipUsername`. */
  ha1Md5?: string | null;
  ha1Sha256?: string | null;
  mobileNumber?: string | null;
  forwardingMode?: ForwardingMode;
  mobileDelayS?: number;
  maxConcurrentCalls?: number;
  /** Initial status (default 'offline'). Later changes go through agentStatus.set(). */
  status?: AgentStatus;
  statusUntil?: Date | null;
  statusReason?: string | null;
  mayChangeOwnStatus?: boolean;
  confirmMobileAnswer?: boolean;
}

/**
 * Status is not patchable here: it goes through agentStatus.set() so the
 * change is logged. A new sipUsername needs new hashes (HA1 includes it):
 * renaming without them clears the stored ones.
 */
export type AgentPatch = Partial<Omit<AgentInput, 'status' | 'statusUntil' | 'statusReason'>>;

export interface AgentCredentials extends DigestHashes {
  agentId: string;
  sipUsername: string;
}

export interface AgentRecord {
  id: string;
  name: string;
  sip_username: string;
  has_sip_password: boolean;
  mobile_number: string | null;
  forwarding_mode: ForwardingMode;
  mobile_delay_s: number;
  max_concurrent_calls: number;
  status: AgentStatus;
  status_until: Date | null;
  status_reason: string | null;
  may_change_own_status: boolean;
  confirm_mobile_answer: boolean;
  created_at: Date;
  updated_at: Date;
}

/** Every column except the hashes. */
export const AGENT_COLUMNS = `id, name, sip_username, (ha1_md5 IS NOT NULL) AS has_sip_password,
  mobile_number, forwarding_mode, mobile_delay_s, max_concurrent_calls, status, status_until,
  status_reason, may_change_own_status, confirm_mobile_answer, created_at, updated_at`;

const COLUMNS = columnsOf(
  'name',
  'sipUsername',
  'ha1Md5',
  'ha1Sha256',
  'mobileNumber',
  'forwardingMode',
  'mobileDelayS',
  'maxConcurrentCalls',
  'status',
  'statusUntil',
  'statusReason',
  'mayChangeOwnStatus',
  'confirmMobileAnswer',
);

export function agentFromRecord(r: AgentRecord): Agent {
  return {
    id: r.id,
    name: r.name,
    sipUsername: r.sip_username,
    hasSipPassword: r.has_sip_password,
    mobileNumber: r.mobile_number,
    forwardingMode: r.forwarding_mode,
    mobileDelayS: r.mobile_delay_s,
    maxConcurrentCalls: r.max_concurrent_calls,
    status: r.status,
    statusUntil: toDateOrNull(r.status_until),
    statusReason: r.status_reason,
    mayChangeOwnStatus: r.may_change_own_status,
    confirmMobileAnswer: r.confirm_mobile_answer,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

export interface AgentsRepo {
  list(filter?: { status?: AgentStatus }): Promise<Agent[]>;
  get(id: string): Promise<Agent | null>;
  getBySipUsername(sipUsername: string): Promise<Agent | null>;
  /** ConflictError('sipUsername') when taken. */
  create(input: AgentInput): Promise<Agent>;
  update(id: string, patch: AgentPatch): Promise<Agent>;
  /**
   * Reads the agent with its row locked, asks `build` for the patch and writes
   * it, all in one transaction: for changes computed from the current row,
   * such as digest hashes, which include the username a concurrent edit may
   * be changing. `build` may throw to refuse the change (nothing is written).
   */
  modify(id: string, build: (current: Agent) => AgentPatch): Promise<Agent>;
  /** Also removes its memberships and registrations; history stays. */
  remove(id: string): Promise<void>;
  /** The digest hashes for the registrar; null when unknown or no password set. */
  getCredentials(sipUsername: string): Promise<AgentCredentials | null>;
}

export function agentsRepo(db: Db): AgentsRepo {
  return {
    async list(filter = {}) {
      const params: SqlParam[] = [];
      let where = '';
      if (filter.status !== undefined) {
        params.push(filter.status);
        where = 'WHERE status = $1';
      }
      const { rows } = await db.query<AgentRecord>(
        `SELECT ${AGENT_COLUMNS} FROM agents ${where} ORDER BY name, id`,
        params,
      );
      return rows.map(agentFromRecord);
    },
    async get(id) {
      if (!isUuid(id)) return null;
      const { rows } = await db.query<AgentRecord>(
        `SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1`,
        [id],
      );
      return rows[0] ? agentFromRecord(rows[0]) : null;
    },
    async getBySipUsername(sipUsername) {
      const { rows } = await db.query<AgentRecord>(
        `SELECT ${AGENT_COLUMNS} FROM agents WHERE sip_username = $1`,
        [sipUsername],
      );
      return rows[0] ? agentFromRecord(rows[0]) : null;
    },
    async create(input) {
      const params: SqlParam[] = [];
      const { columns, values } = insertParts({ ...input }, COLUMNS, params);
      const { rows } = await db.query<AgentRecord>(
        `INSERT INTO agents (${columns.join(', ')}) VALUES (${values.join(', ')})
         RETURNING ${AGENT_COLUMNS}`,
        params,
      );
      return agentFromRecord(orNotFound(rows[0], 'agent', input.sipUsername));
    },
    async update(id, patch) {
      if (!isUuid(id)) throw new NotFoundError('agent', id);
      const params: SqlParam[] = [id];
      const { status: _s, statusUntil: _u, statusReason: _r, ...allowed } = patch as AgentInput;
      const sets = [...setClause(allowed, COLUMNS, params), 'updated_at = now()'];
      if (allowed.sipUsername !== undefined && allowed.ha1Md5 === undefined) {
        // HA1 hashes include the username: a renamed agent without new hashes
        // has no valid password any more, and hasSipPassword must say so.
        params.push(allowed.sipUsername);
        const same = `sip_username = $${params.length}`;
        sets.push(
          `ha1_md5 = CASE WHEN ${same} THEN ha1_md5 END`,
          `ha1_sha256 = CASE WHEN ${same} THEN ha1_sha256 END`,
        );
      }
      const { rows } = await db.query<AgentRecord>(
        `UPDATE agents SET ${sets.join(', ')} WHERE id = $1 RETURNING ${AGENT_COLUMNS}`,
        params,
      );
      return agentFromRecord(orNotFound(rows[0], 'agent', id));
    },
    modify(id, build) {
      if (!isUuid(id)) return Promise.reject(new NotFoundError('agent', id));
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<AgentRecord>(
          `SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1 FOR UPDATE`,
          [id],
        );
        const current = agentFromRecord(orNotFound(rows[0], 'agent', id));
        return agentsRepo(tx).update(id, build(current));
      });
    },
    async remove(id) {
      if (!isUuid(id)) throw new NotFoundError('agent', id);
      const { rowCount } = await db.query('DELETE FROM agents WHERE id = $1', [id]);
      if (rowCount === 0) throw new NotFoundError('agent', id);
    },
    async getCredentials(sipUsername) {
      const { rows } = await db.query<{
        id: string;
        sip_username: string;
        ha1_md5: string | null;
        ha1_sha256: string | null;
      }>('SELECT id, sip_username, ha1_md5, ha1_sha256 FROM agents WHERE sip_username = $1', [
        sipUsername,
      ]);
      const r = rows[0];
      if (!r || r.ha1_md5 === null || r.ha1_sha256 === null) return null;
      return {
        agentId: r.id,
        sipUsername: r.sip_username,
        ha1Md5: r.ha1_md5,
        ha1Sha256: r.ha1_sha256,
      };
    },
  };
}

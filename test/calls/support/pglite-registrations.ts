/**
 * A RegistrationStore on a real embedded Postgres (PGlite) with its own small
 * table, for the registrar tests until the store's registrations repository
 * lands (the app will adapt that one to the same port).
 */
import { PGlite } from '@electric-sql/pglite';
import type {
  RegistrationBinding,
  RegistrationStore,
  SipTransport,
} from '../../../src/calls/ports/index.ts';

const SCHEMA = `
create table if not exists test_registrations (
  agent_id text not null,
  contact_uri text not null,
  expires_at bigint not null,
  call_id text not null,
  cseq integer not null,
  source_address text not null,
  source_port integer not null,
  transport text not null,
  user_agent text,
  updated_at bigint not null,
  primary key (agent_id, contact_uri)
)`;

interface Row {
  agent_id: string;
  contact_uri: string;
  expires_at: string | number;
  call_id: string;
  cseq: number;
  source_address: string;
  source_port: number;
  transport: string;
  user_agent: string | null;
  updated_at: string | number;
}

export class PgliteRegistrationStore implements RegistrationStore {
  private constructor(readonly db: PGlite) {}

  static async open(dataDir?: string): Promise<PgliteRegistrationStore> {
    const db = dataDir ? new PGlite(dataDir) : new PGlite();
    await db.exec(SCHEMA);
    return new PgliteRegistrationStore(db);
  }

  async listForAgent(agentId: string): Promise<RegistrationBinding[]> {
    const { rows } = await this.db.query<Row>(
      'select * from test_registrations where agent_id = $1 order by updated_at, contact_uri',
      [agentId],
    );
    return rows.map(toBinding);
  }

  async apply(agentId: string, upserts: RegistrationBinding[], removed: string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (removed.length > 0) {
        await tx.query(
          'delete from test_registrations where agent_id = $1 and contact_uri = any($2)',
          [agentId, removed],
        );
      }
      for (const b of upserts) {
        await tx.query(
          `insert into test_registrations values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
           on conflict (agent_id, contact_uri) do update set expires_at = excluded.expires_at,
             call_id = excluded.call_id, cseq = excluded.cseq, source_address = excluded.source_address,
             source_port = excluded.source_port, transport = excluded.transport,
             user_agent = excluded.user_agent, updated_at = excluded.updated_at`,
          [
            b.agentId,
            b.contactUri,
            b.expiresAt,
            b.callId,
            b.cseq,
            b.sourceAddress,
            b.sourcePort,
            b.transport,
            b.userAgent,
            b.updatedAt,
          ],
        );
      }
    });
  }

  async purgeExpired(now: number): Promise<string[]> {
    const { rows } = await this.db.query<{ agent_id: string }>(
      'delete from test_registrations where expires_at <= $1 returning agent_id',
      [now],
    );
    return rows.map((r) => r.agent_id);
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      'select count(*)::int as n from test_registrations',
    );
    return rows[0]?.n ?? 0;
  }

  /** Idempotent: a test may close the database early to simulate an outage. */
  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }

  async clear(): Promise<void> {
    await this.db.exec('delete from test_registrations');
  }
}

function toBinding(r: Row): RegistrationBinding {
  return {
    agentId: r.agent_id,
    contactUri: r.contact_uri,
    expiresAt: Number(r.expires_at),
    callId: r.call_id,
    cseq: r.cseq,
    sourceAddress: r.source_address,
    sourcePort: r.source_port,
    transport: r.transport as SipTransport,
    userAgent: r.user_agent,
    updatedAt: Number(r.updated_at),
  };
}

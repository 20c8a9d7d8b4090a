/**
 * The open-legs journal (sql/0009_open_legs.sql): the agent legs each
 * instance has sent and not yet seen end, so that the instance taking over
 * after a crash can end the legs the dead one left up at the SIP server.
 */
import type { Db } from './db.ts';

export interface OpenLeg {
  sipCallId: string;
  instance: string;
  openedAt: Date;
  /**
   * How long ago the row was written, by the database's clock (so a reader
   * on another host times from it without comparing clocks).
   */
  ageMs: number;
  /** The Request-URI the leg was sent to. */
  target: string;
}

export class OpenLegsRepo {
  constructor(private readonly db: Db) {}

  /**
   * Opens and closes legs in one statement (the journal's batches); an
   * opened leg is durable when this resolves, and only then may its INVITE
   * leave. A leg must not be in both lists: the delete does not see the rows
   * the insert adds.
   */
  async write(
    instance: string,
    opened: readonly { sipCallId: string; target: string }[],
    closed: readonly string[],
  ): Promise<void> {
    if (opened.length === 0 && closed.length === 0) return;
    await this.db.query(
      `WITH gone AS (DELETE FROM open_legs WHERE sip_call_id = ANY($4::text[]))
       INSERT INTO open_legs (sip_call_id, instance, target)
       SELECT leg.id, $1, leg.target FROM unnest($2::text[], $3::text[]) AS leg (id, target)
       ON CONFLICT (sip_call_id) DO NOTHING`,
      [instance, opened.map((l) => l.sipCallId), opened.map((l) => l.target), [...closed]],
    );
  }

  /**
   * Legs nobody carries any more: those of other instances (only the leader
   * sends legs, so they belong to a leader that is gone) and those this
   * instance opened before `startedAt` (an earlier run of it that crashed).
   */
  async orphaned(instance: string, startedAt: Date): Promise<OpenLeg[]> {
    const { rows } = await this.db.query<{
      sip_call_id: string;
      instance: string;
      opened_at: Date | string;
      age_ms: number | string;
      target: string;
    }>(
      `SELECT sip_call_id, instance, opened_at, target,
              extract(epoch FROM now() - opened_at) * 1000 AS age_ms
         FROM open_legs
        WHERE instance <> $1 OR opened_at < $2 ORDER BY opened_at`,
      [instance, startedAt],
    );
    return rows.map((r) => ({
      sipCallId: r.sip_call_id,
      instance: r.instance,
      openedAt: new Date(r.opened_at),
      ageMs: Math.max(0, Number(r.age_ms)),
      target: r.target,
    }));
  }
}

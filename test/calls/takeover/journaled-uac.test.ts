/**
 * The open-legs journal around the agent INVITEs: written before the INVITE
 * leaves, removed when the leg ends or fails. Stand-ins for srf and the
 * database (the failover test runs the real ones: test/app/failover.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/calls/ports/index.ts';
import {
  JOURNAL_WAIT_MS,
  type LegJournal,
  journaledUac,
} from '../../../src/calls/takeover/journaled-uac.ts';
import { flush } from '../flow/support/manual-scheduler.ts';
import { StandInDialog, StandInUac } from '../flow/support/sip-standins.ts';

class MemoryJournal implements LegJournal {
  readonly open = new Map<string, string>();
  readonly log: string[] = [];
  /** Call-IDs written ahead of need (the real journal's reserve). */
  readonly ready: string[] = [];
  refuse = false;
  reserved(): string | null {
    const id = this.ready.pop() ?? null;
    if (id !== null) this.open.set(id, '');
    return id;
  }
  async opened(sipCallId: string, target: string): Promise<void> {
    if (this.refuse) throw new Error('database down');
    this.log.push(`opened ${sipCallId}`);
    this.open.set(sipCallId, target);
  }
  async closed(sipCallIds: readonly string[]): Promise<void> {
    for (const id of sipCallIds) {
      this.log.push(`closed ${id}`);
      this.open.delete(id);
    }
  }
}

const request = { uri: 'sip:alice@192.0.2.1', localSdp: 'v=0', headers: { From: '<sip:x@y>' } };
const progress = { onRequest() {}, onProvisional() {} };
let seq = 0;
const ids = () => `leg-${++seq}`;

describe('journaled agent legs', () => {
  it('journals the Call-ID before the INVITE leaves and forgets it when the leg ends', async () => {
    const inner = new StandInUac();
    const journal = new MemoryJournal();
    const uac = journaledUac(inner, journal, silentLogger, ids);
    const pending = uac.invite(request, progress);
    await flush();
    const sent = inner.invites[0];
    const callId = sent?.request.headers['Call-ID'] ?? '';
    expect(journal.open.get(callId)).toBe('sip:alice@192.0.2.1');
    sent?.answer(new StandInDialog());
    const dialog = await pending;
    let endedBy: string | null = null;
    dialog.onEnded((by) => {
      endedBy = by;
    });
    expect(journal.open.has(callId)).toBe(true);
    await dialog.end('done');
    await flush();
    expect(endedBy).toBe('local');
    expect(journal.open.size).toBe(0);
  });

  it('forgets a leg whose INVITE fails, and tells a late end listener', async () => {
    const inner = new StandInUac();
    const journal = new MemoryJournal();
    const uac = journaledUac(inner, journal, silentLogger, ids);
    const failing = uac.invite(request, progress);
    await flush();
    inner.invites[0]?.fail(486);
    await expect(failing).rejects.toMatchObject({ status: 486 });
    await flush();
    expect(journal.open.size).toBe(0);

    const answered = uac.invite(request, progress);
    await flush();
    const remote = new StandInDialog();
    inner.invites[1]?.answer(remote);
    const dialog = await answered;
    remote.peerBye();
    await flush();
    const heard: string[] = [];
    dialog.onEnded((by) => heard.push(by));
    expect(heard).toEqual(['remote']);
    expect(journal.open.size).toBe(0);
  });

  it('sends the INVITE anyway, with a warning, when the journal cannot be written (a database outage)', async () => {
    const inner = new StandInUac();
    const journal = new MemoryJournal();
    journal.refuse = true;
    const warnings: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (_o: unknown, msg?: string) => void warnings.push(msg ?? ''),
    };
    const uac = journaledUac(inner, journal, logger, ids);
    const pending = uac.invite(request, progress);
    await flush();
    expect(inner.invites).toHaveLength(1);
    expect(warnings.join()).toMatch(/unjournalled/);
    inner.invites[0]?.answer(new StandInDialog());
    await pending;
  });

  it('a leg to a device takes a reserved Call-ID and leaves at once; a leg to a number waits for its own row', async () => {
    const inner = new StandInUac();
    const journal = new MemoryJournal();
    journal.ready.push('reserved-1', 'reserved-2');
    journal.refuse = true; // a write would warn: the device leg must not need one
    const warnings: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (_o: unknown, msg?: string) => void warnings.push(msg ?? ''),
    };
    const uac = journaledUac(inner, journal, logger, ids);
    const device = uac.invite(request, progress);
    // Sent in the same tick: no database round trip before it.
    expect(inner.invites[0]?.request.headers['Call-ID']).toBe('reserved-2');
    expect(warnings).toEqual([]);
    journal.refuse = false;
    const number = uac.invite({ ...request, uri: 'sip:+4915112345678@trunk.example' }, progress);
    expect(inner.invites).toHaveLength(1);
    await flush();
    const numberCallId = inner.invites[1]?.request.headers['Call-ID'] ?? '';
    expect(numberCallId).not.toMatch(/^reserved/);
    expect(journal.open.get(numberCallId)).toBe('sip:+4915112345678@trunk.example');
    expect(journal.ready).toEqual(['reserved-1']);
    inner.invites[0]?.answer(new StandInDialog());
    inner.invites[1]?.answer(new StandInDialog());
    const legs = await Promise.all([device, number]);
    for (const leg of legs) await leg.end('done');
    await flush();
    expect(journal.open.size).toBe(0);
  });

  it('does not wait more than JOURNAL_WAIT_MS for a database that does not answer', async () => {
    const inner = new StandInUac();
    const hanging: LegJournal = {
      reserved: () => null,
      opened: () => new Promise(() => {}),
      closed: async () => {},
    };
    const uac = journaledUac(inner, hanging, silentLogger, ids);
    const started = Date.now();
    const pending = uac.invite(request, progress);
    await new Promise((r) => setTimeout(r, JOURNAL_WAIT_MS + 50));
    expect(inner.invites).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(JOURNAL_WAIT_MS);
    inner.invites[0]?.fail(480);
    await expect(pending).rejects.toMatchObject({ status: 480 });
  });
});

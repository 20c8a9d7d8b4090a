/**
 * The open-legs journal around the agent INVITEs: written before the INVITE
 * leaves, removed when the leg ends or fails. Stand-ins for srf and the
 * database (the failover test runs the real ones: test/app/failover.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/calls/ports/index.ts';
import { type LegJournal, journaledUac } from '../../../src/calls/takeover/journaled-uac.ts';
import { flush } from '../flow/support/manual-scheduler.ts';
import { StandInDialog, StandInUac } from '../flow/support/sip-standins.ts';

class MemoryJournal implements LegJournal {
  readonly open = new Map<string, string>();
  readonly log: string[] = [];
  refuse = false;
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

  it('sends no INVITE when the journal cannot be written', async () => {
    const inner = new StandInUac();
    const journal = new MemoryJournal();
    journal.refuse = true;
    const uac = journaledUac(inner, journal, silentLogger, ids);
    await expect(uac.invite(request, progress)).rejects.toThrow('database down');
    expect(inner.invites).toHaveLength(0);
  });
});

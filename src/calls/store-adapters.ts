/**
 * The store's repositories seen through call control's ports (src/calls/ports.ts).
 * The composition root builds these once: `registrationStoreFrom(store)` etc.
 */
import type { LogEventInput, Registration, Store } from '../store/index.ts';
import type { CallLogSink } from './recorder/call-log-writer.ts';
import { type AllowListSyntaxError, MobileAllowList } from './dialer/mobile-allow-list.ts';
import type { OrphanCallPorts } from './orphan-calls.ts';
import type { VoicemailStorePort } from './voicemail/voicemail-box.ts';
import type { CredentialsLookup, RegistrationBinding, RegistrationStore } from './ports/index.ts';

export function credentialsFrom(store: Pick<Store, 'agents'>): CredentialsLookup {
  return {
    async getCredentials(sipUsername) {
      const c = await store.agents.getCredentials(sipUsername);
      return c
        ? {
            agentId: c.agentId,
            sipUsername: c.sipUsername,
            ha1Md5: c.ha1Md5,
            ha1Sha256: c.ha1Sha256,
          }
        : null;
    },
  };
}

function toBinding(r: Registration): RegistrationBinding {
  return {
    agentId: r.agentId,
    contactUri: r.contactUri,
    expiresAt: r.expiresAt.getTime(),
    callId: r.sipCallId ?? '',
    cseq: r.cseq ?? 0,
    sourceAddress: r.sourceAddress,
    sourcePort: r.sourcePort,
    transport: r.transport,
    userAgent: r.userAgent,
    updatedAt: r.updatedAt.getTime(),
  };
}

/** Every binding live at `at`, by agent (one query). */
export async function liveBindingsByAgent(
  store: Store,
  at: Date,
): Promise<Map<string, RegistrationBinding[]>> {
  const byAgent = new Map<string, RegistrationBinding[]>();
  for (const r of await store.registrations.list({ activeAt: at })) {
    const list = byAgent.get(r.agentId);
    if (list) list.push(toBinding(r));
    else byAgent.set(r.agentId, [toBinding(r)]);
  }
  return byAgent;
}

export function registrationStoreFrom(store: Store): RegistrationStore {
  return {
    async listForAgent(agentId) {
      return (await store.registrations.list({ agentId })).map(toBinding);
    },
    apply(agentId, upserts, removedContactUris) {
      // One REGISTER's changes commit together, or the phone sees a 500 and
      // retries with nothing half-applied.
      return store.transaction(async (tx) => {
        for (const uri of removedContactUris) await tx.registrations.remove(agentId, uri);
        for (const b of upserts) {
          await tx.registrations.upsert({
            agentId: b.agentId,
            contactUri: b.contactUri,
            expiresAt: new Date(b.expiresAt),
            sourceAddress: b.sourceAddress,
            sourcePort: b.sourcePort,
            transport: b.transport,
            userAgent: b.userAgent,
            sipCallId: b.callId,
            cseq: b.cseq,
          });
        }
      });
    },
    purgeExpired(now) {
      return store.transaction(async (tx) => {
        const at = new Date(now);
        const all = await tx.registrations.list();
        const agents = [...new Set(all.filter((r) => r.expiresAt <= at).map((r) => r.agentId))];
        await tx.registrations.removeExpired(at);
        return agents;
      });
    },
  };
}

/** Writes each batch with `record` (one statement, in order, nothing read back). */
export function callLogSinkFrom(store: Pick<Store, 'callLog'>): CallLogSink<LogEventInput> {
  return {
    async append(events) {
      await store.callLog.record(events);
    },
  };
}

/** The stored allow-list; a malformed stored pattern is left out (it can only refuse). */
export async function loadAllowList(
  store: Pick<Store, 'mobileAllowList'>,
  onInvalid: (error: AllowListSyntaxError) => void,
): Promise<MobileAllowList> {
  const entries = await store.mobileAllowList.list();
  return MobileAllowList.parseLenient(
    entries.map((e) => e.pattern),
    onInvalid,
  );
}

/** The live calls of the log, and one transaction to end them (see orphan-calls.ts). */
export function orphanCallPortsFrom(store: Pick<Store, 'callLog'>): OrphanCallPorts {
  return {
    async openCalls() {
      return (await store.callLog.liveCalls()).map((c) => ({
        id: c.id,
        departmentId: c.departmentId,
        agentId: c.agentId,
        arrivedAt: c.arrivedAt,
        answeredAt: c.answeredAt,
      }));
    },
    async write(events) {
      await store.callLog.record(events as LogEventInput[]);
    },
  };
}

export function voicemailStoreFrom(store: Pick<Store, 'voicemails'>): VoicemailStorePort {
  return {
    async add(row) {
      await store.voicemails.add(row);
    },
  };
}

/**
 * Which instance routes. Every `renewMs` a standby tries to take the routing
 * lease and the leader renews it. The leader trusts its lease until
 * `sent + leaseMs - renewMs`, counted on its own monotonic clock from the
 * moment it *sent* the last successful renewal; the database ends the lease
 * at `received + leaseMs` on its clock, and `received >= sent`. So a leader
 * that cannot renew (database down, connection cut, process paused) stops
 * routing at least one renewal period before any standby can take the lease:
 * there is never a moment with two routers. A standby notices a free lease
 * within `renewMs`, so a dead leader is replaced within `leaseMs + renewMs`.
 *
 * One owner for each deadline: the tick timer (next attempt) and the
 * watchdog timer (end of the leader's trust) belong to this object and are
 * cleared on close.
 */
import type { Acquired, LeaseStore } from './lease-store.ts';

export type Role =
  | { kind: 'standby' }
  | { kind: 'leader'; epoch: number }
  /** Was leader, could not renew in time: stopped routing; a standby again once the lease answers. */
  | { kind: 'fenced'; reason: string }
  | { kind: 'closed' };

export interface RoleChange {
  role: Role;
  /** On becoming leader: the instance that held the lease before (its calls are orphans). */
  previousHolder?: string | null;
}

export interface LeadershipOptions {
  instanceId: string;
  lease: LeaseStore;
  leaseMs: number;
  renewMs: number;
  /** Called synchronously on every change of role; the routing gate follows it. */
  onChange: (change: RoleChange) => void;
  onError?: (err: unknown) => void;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
}

export class Leadership {
  private current: Role = { kind: 'standby' };
  /** Local time until which the leader may route (leader only). */
  private trustedUntil = 0;
  private tickTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(private readonly o: LeadershipOptions) {
    this.now = o.now ?? (() => performance.now());
  }

  get role(): Role {
    return this.current;
  }

  isLeader(): boolean {
    return this.current.kind === 'leader';
  }

  /** Tries once at once (so the first instance leads from its start), then every renewMs. */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  async close(): Promise<void> {
    const was = this.current;
    this.set({ kind: 'closed' });
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.watchdog) clearTimeout(this.watchdog);
    this.tickTimer = null;
    this.watchdog = null;
    await this.running;
    if (was.kind === 'leader') {
      // Hand over at once instead of after the lease runs out.
      await this.o.lease
        .release(this.o.instanceId, was.epoch)
        .catch((err) => this.o.onError?.(err));
    }
    await this.o.lease.close();
  }

  private schedule(): void {
    if (this.current.kind === 'closed') return;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null;
      this.running = this.tick().finally(() => {
        this.running = null;
        this.schedule();
      });
    }, this.o.renewMs);
    this.tickTimer.unref();
  }

  private async tick(): Promise<void> {
    const role = this.current;
    const sent = this.now();
    try {
      if (role.kind === 'leader') {
        const ok = await this.o.lease.renew(this.o.instanceId, role.epoch, this.o.leaseMs);
        if (this.current !== role) return; // fenced or closed meanwhile: the answer is stale
        if (ok) this.trust(sent);
        else this.fence('the routing lease expired or another instance took it');
        return;
      }
      if (role.kind === 'closed') return;
      const got: Acquired | null = await this.o.lease.acquire(this.o.instanceId, this.o.leaseMs);
      if (this.current !== role) return;
      if (got) {
        this.trust(sent);
        this.set({ kind: 'leader', epoch: got.epoch }, got.previousHolder);
      } else if (role.kind === 'fenced') {
        // The database answers again and someone else leads: an ordinary standby.
        this.set({ kind: 'standby' });
      }
    } catch (err) {
      this.o.onError?.(err);
      // A leader keeps routing until its watchdog says the lease may be gone.
    }
  }

  private trust(sent: number): void {
    this.trustedUntil = sent + this.o.leaseMs - this.o.renewMs;
    if (this.watchdog) clearTimeout(this.watchdog);
    // Every renewal re-arms this timer, so when it fires the trust has run
    // out. (Node rounds the delay down to whole milliseconds and may fire a
    // little early: a time check here would skip the fence and never re-arm.)
    this.watchdog = setTimeout(
      () => {
        this.watchdog = null;
        if (this.current.kind === 'leader') {
          this.fence(
            `could not renew the routing lease for ${Math.round(this.now() - sent)} ms (database unreachable?)`,
          );
        }
      },
      Math.max(0, this.trustedUntil - this.now()),
    );
    this.watchdog.unref();
  }

  private fence(reason: string): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    this.set({ kind: 'fenced', reason });
  }

  private set(role: Role, previousHolder?: string | null): void {
    this.current = role;
    this.o.onChange(role.kind === 'leader' ? { role, previousHolder } : { role });
  }
}

/** Embedded mode (PGlite, one process): this instance always routes. */
export function soleLeader(): Pick<Leadership, 'isLeader' | 'role'> {
  const role: Role = { kind: 'leader', epoch: 0 };
  return { isLeader: () => true, role };
}

/**
 * The mobile allow-list as the dialer reads it: loaded at start, reloaded
 * when it changes. Changes that arrive while a reload reads share that read;
 * a failed reload keeps the list read last.
 */
import type { MobileAllowList } from '../dialer/mobile-allow-list.ts';
import type { Logger } from '../ports/index.ts';

export class AllowListHolder {
  #current: MobileAllowList;
  #loading: Promise<void> | null = null;

  private constructor(
    first: MobileAllowList,
    private readonly read: () => Promise<MobileAllowList>,
    private readonly log: Logger,
  ) {
    this.#current = first;
  }

  /** Reads the list once (the database must be up at start). */
  static async load(read: () => Promise<MobileAllowList>, log: Logger): Promise<AllowListHolder> {
    return new AllowListHolder(await read(), read, log);
  }

  current(): MobileAllowList {
    return this.#current;
  }

  /** The list changed: read it again (never rejects). */
  reload(): void {
    this.#loading ??= this.read()
      .then((list) => {
        this.#current = list;
      })
      .catch((err: unknown) => this.log.error({ err }, 'mobile allow-list: reload failed'))
      .finally(() => {
        this.#loading = null;
      });
  }

  /** Waits for a reload still reading. */
  async close(): Promise<void> {
    await this.#loading;
  }
}

/**
 * Each department's media (prompts, music, exit key, hours) resolved to the
 * files the media server plays, kept current with the API's changes. Music
 * folders are listed here, on the app's host: a folder used with a remote
 * FreeSWITCH must exist at the same path on both hosts (a shared volume).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  type DepartmentMedia,
  type DepartmentMediaRow,
  type MediaDefaults,
  resolveDepartmentMedia,
} from '../../calls/media/department-media.ts';
import type { ApiEvents } from '../../api/events/api-events.ts';
import type { Logger } from '../../calls/ports/index.ts';

/** The .wav files of `dir`, absolute, in name order; [] when it cannot be read. */
export function listWavs(dir: string, log: Logger): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.toLowerCase().endsWith('.wav'))
      .sort()
      .map((f) => path.join(dir, f));
  } catch (err) {
    log.warn({ err, dir }, 'media: music folder not readable');
    return [];
  }
}

export class MediaDirectory {
  readonly #byId = new Map<string, DepartmentMedia>();
  readonly #defaults: MediaDefaults;

  constructor(
    rows: readonly (DepartmentMediaRow & { id: string })[],
    config: { promptsDir: string; mohDir: string },
    private readonly log: Logger,
  ) {
    const mohDir = path.resolve(config.mohDir);
    this.#defaults = {
      promptsDir: path.resolve(config.promptsDir),
      music: listWavs(mohDir, log),
    };
    for (const r of rows) this.put(r);
  }

  get(departmentId: string): DepartmentMedia | undefined {
    return this.#byId.get(departmentId);
  }

  remove(departmentId: string): void {
    this.#byId.delete(departmentId);
  }

  /** Follows the departments' changes on the event feed; returns the function that stops. */
  follow(events: Pick<ApiEvents, 'on'>): () => void {
    const offs = [
      events.on('department.created', (e) => this.put(e.data)),
      events.on('department.updated', (e) => this.put(e.data)),
      events.on('department.deleted', (e) => this.remove(e.data.id)),
    ];
    return () => {
      for (const off of offs) off();
    };
  }

  /** A department created or changed. */
  put(row: DepartmentMediaRow & { id: string }): void {
    const own = row.mohFolder === null ? null : listWavs(row.mohFolder, this.log);
    this.#byId.set(row.id, resolveDepartmentMedia(row, this.#defaults, own));
  }
}

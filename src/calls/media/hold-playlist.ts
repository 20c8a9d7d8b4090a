/**
 * What a waiting caller hears next: prompts first (the greeting, at most one
 * position announcement: a newer one replaces one still waiting its turn),
 * the department's music in between, track after track in a loop.
 */
export class HoldPlaylist {
  #prompts: string[][] = [];
  #announcement: string[] | null = null;
  #musicIndex = 0;

  /** Played before anything else (the greeting). */
  first(files: string[]): void {
    if (files.length > 0) this.#prompts.unshift(files);
  }

  announce(files: string[]): void {
    this.#prompts = this.#prompts.filter((q) => q !== this.#announcement);
    this.#announcement = files;
    this.#prompts.push(files);
  }

  clear(): void {
    this.#prompts = [];
    this.#announcement = null;
  }

  /** A waiting prompt, else the next track of `music` (no files: there is no music). */
  next(music: readonly string[]): { kind: 'prompt' | 'music'; files: string[] } {
    const prompt = this.#prompts.shift();
    if (prompt) {
      if (prompt === this.#announcement) this.#announcement = null;
      return { kind: 'prompt', files: prompt };
    }
    if (music.length === 0) return { kind: 'music', files: [] };
    const track = music[this.#musicIndex % music.length] as string;
    this.#musicIndex += 1;
    return { kind: 'music', files: [track] };
  }
}

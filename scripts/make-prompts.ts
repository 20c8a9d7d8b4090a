/**
 * Makes the shipped audio prompts and the default music on hold.
 *
 *   npm run prompts            # writes media/prompts/en/*.wav and media/moh/default/*.wav
 *   npm run prompts -- --voice en-gb --out /tmp/prompts   # another espeak-ng voice / folder
 *
 * Speech comes from Debian's `espeak-ng` program, the music from `sox`; both
 * are command-line tools run as child processes, so the project gains no npm
 * dependency and the output is byte-for-byte repeatable with the same
 * versions. The files are committed: a deployment needs neither tool unless
 * it regenerates them. Every file is 8 kHz 16-bit mono PCM WAV, what the
 * media server plays without resampling.
 *
 * One file per phrase and per number word, so that call control can speak
 * any position 1-999 and any wait in minutes by concatenation (see
 * src/calls/media/phrases.ts for the file names it expects).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PHRASE_TEXT, TONE_PROMPTS } from '../src/calls/media/phrase-text.ts';

const { values } = parseArgs({
  options: {
    voice: { type: 'string', default: 'en-us' },
    out: { type: 'string', default: 'media/prompts/en' },
    moh: { type: 'string', default: 'media/moh/default' },
    speed: { type: 'string', default: '150' },
  },
});

const work = mkdtempSync(join(tmpdir(), 'prompts-'));

/** 8 kHz mono 16-bit, with a short fade so concatenated words do not click. */
/** sox with repeatable random numbers (dither, pluck noise), so a rerun gives the same bytes. */
function sox(args: string[]): void {
  execFileSync('sox', ['-R', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function to8k(input: string, output: string, extra: string[] = []): void {
  sox([input, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', output, ...extra]);
}

function speak(name: string, text: string, outDir: string): void {
  const raw = join(work, `${name}.wav`);
  execFileSync('espeak-ng', ['-v', values.voice!, '-s', values.speed!, '-w', raw, text]);
  // Trim espeak's leading and trailing silence to 50 ms so word sequences flow.
  to8k(raw, join(outDir, `${name}.wav`), [
    'silence',
    '1',
    '0.02',
    '0.5%',
    'reverse',
    'silence',
    '1',
    '0.02',
    '0.5%',
    'reverse',
    'pad',
    '0.05',
    '0.08',
  ]);
}

/** A sine tone with 10 ms fades (no click), e.g. the beep before a voicemail recording. */
function beep(name: string, hz: number, seconds: number, outDir: string): void {
  const raw = join(work, `${name}.wav`);
  sox([
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    raw,
    'synth',
    String(seconds),
    'sine',
    String(hz),
  ]);
  to8k(raw, join(outDir, `${name}.wav`), ['fade', 'q', '0.01', '-0', '0.01', 'vol', '0.5']);
}

/**
 * A calm, royalty-free tune made here: a I-vi-IV-V progression in C as soft
 * plucked arpeggios over a quiet pad, twice per track, each track in its own
 * key so the loop does not feel like one file. Only sox's synthesiser is used.
 */
function tune(name: string, semitones: number, outDir: string): void {
  const chords = [
    ['C4', 'E4', 'G4', 'C5'],
    ['A3', 'C4', 'E4', 'A4'],
    ['F3', 'A3', 'C4', 'F4'],
    ['G3', 'B3', 'D4', 'G4'],
  ];
  const parts: string[] = [];
  let i = 0;
  for (let round = 0; round < 2; round++) {
    for (const chord of chords) {
      // Arpeggio: 8 notes of 0.25 s over the chord, up and down.
      const notes = [...chord, ...[...chord].reverse()];
      for (const n of notes) {
        const f = join(work, `${name}-${i++}.wav`);
        sox([
          '-n',
          '-r',
          '8000',
          '-c',
          '1',
          '-b',
          '16',
          f,
          'synth',
          '0.25',
          'pluck',
          n,
          'vol',
          '0.25',
          ...(semitones === 0 ? [] : ['pitch', String(semitones * 100)]),
        ]);
        parts.push(f);
      }
    }
  }
  const melody = join(work, `${name}-melody.wav`);
  sox([...parts, melody]);
  // A pad under the melody: the chord roots as quiet sine tones, one per bar.
  const pad: string[] = [];
  for (let round = 0; round < 2; round++) {
    for (const chord of chords) {
      const f = join(work, `${name}-pad-${i++}.wav`);
      sox([
        '-n',
        '-r',
        '8000',
        '-c',
        '1',
        '-b',
        '16',
        f,
        'synth',
        '2',
        'sine',
        chord[0]!,
        'sine',
        chord[2]!,
        'remix',
        '-',
        ...(semitones === 0 ? [] : ['pitch', String(semitones * 100)]),
        'fade',
        'q',
        '0.3',
        '2',
        '0.3',
        'vol',
        '0.12',
      ]);
      pad.push(f);
    }
  }
  const padFile = join(work, `${name}-pad.wav`);
  sox([...pad, padFile]);
  const mixed = join(work, `${name}-mix.wav`);
  sox(['-m', melody, padFile, mixed]);
  to8k(mixed, join(outDir, `${name}.wav`), ['fade', 'q', '0.2', '-0', '0.5', 'norm', '-6']);
}

try {
  const out = resolve(values.out!);
  const moh = resolve(values.moh!);
  mkdirSync(out, { recursive: true });
  mkdirSync(moh, { recursive: true });
  for (const [name, text] of Object.entries(PHRASE_TEXT)) speak(name, text, out);
  for (const [name, t] of Object.entries(TONE_PROMPTS)) beep(name, t.hz, t.seconds, out);
  tune('track-1', 0, moh);
  tune('track-2', 5, moh);
  console.log(`prompts in ${out}, music in ${moh}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

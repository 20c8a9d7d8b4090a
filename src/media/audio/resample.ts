/**
 * Sample-rate conversion of mono 16-bit audio to 8 kHz (or any rate): a
 * windowed-sinc low-pass evaluated only at the output instants, so a 44.1 kHz
 * file is band-limited below 4 kHz before it is decimated (plain linear
 * interpolation would fold everything above 4 kHz back into the telephone band).
 * It runs once per file (the decoded result is cached).
 */

/** Taps on each side of the output instant, measured in output-rate samples. */
const HALF_WIDTH_OUT = 12;

function blackman(x: number): number {
  // x in [-1, 1]
  return 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
}

/** Kernel values per input sample of distance, so the inner loop is a lookup. */
const RESOLUTION = 512;

function kernelTable(cutoff: number, halfWidth: number): Float64Array {
  const table = new Float64Array(2 * halfWidth * RESOLUTION + 1);
  for (let i = 0; i < table.length; i++) {
    const d = i / RESOLUTION - halfWidth;
    const x = 2 * Math.PI * cutoff * d;
    const sinc = d === 0 ? 1 : Math.sin(x) / x;
    table[i] = sinc * blackman(d / (halfWidth + 1));
  }
  return table;
}

export function resample(input: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return input;
  const outLength = Math.floor((input.length * toRate) / fromRate);
  const out = new Int16Array(outLength);
  const step = fromRate / toRate; // input samples per output sample
  // Cut-off just below the lower Nyquist frequency, as a fraction of the input rate.
  const cutoff = (0.45 * Math.min(fromRate, toRate)) / fromRate;
  const halfWidth = Math.ceil(HALF_WIDTH_OUT * Math.max(1, step));
  const kernel = kernelTable(cutoff, halfWidth);
  for (let n = 0; n < outLength; n++) {
    const center = n * step;
    const first = Math.max(0, Math.ceil(center - halfWidth));
    const last = Math.min(input.length - 1, Math.floor(center + halfWidth));
    let acc = 0;
    let norm = 0;
    for (let k = first; k <= last; k++) {
      const w = kernel[Math.round((k - center + halfWidth) * RESOLUTION)]!;
      acc += input[k]! * w;
      norm += w;
    }
    const value = norm === 0 ? 0 : acc / norm;
    out[n] = value > 32767 ? 32767 : value < -32768 ? -32768 : Math.round(value);
  }
  return out;
}

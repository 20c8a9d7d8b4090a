/**
 * Sends a file with byte-range support (RFC 9110 §14): `Range: bytes=a-b`,
 * `bytes=a-` and `bytes=-n` get 206 with `Content-Range`; a range that starts
 * past the end gets 416 with `Content-Range: bytes *\/<size>`; no Range, or
 * one this server does not serve (several ranges, other units, bad syntax),
 * gets the whole file with 200, as the RFC allows. Audio players seek with it.
 */
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { ApiError } from './errors.ts';

/** Inclusive byte positions. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The one range to send, 'unsatisfiable', or null for the whole file. */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    // The last n bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null; // invalid: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/**
 * Streams `path` as `contentType`. A file that is not there rejects with
 * ENOENT before anything is sent (the caller answers 404).
 */
export async function sendFileRange(
  req: Request,
  res: Response,
  path: string,
  contentType: string,
  downloadName?: string,
): Promise<void> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const range = parseRange(req.get('range'), size);
    res.setHeader('Accept-Ranges', 'bytes');
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      throw new ApiError(
        416,
        'range_not_satisfiable',
        `the range is outside the file (${size} bytes)`,
        { field: 'Range', reason: `must start below ${size}` },
      );
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    res.status(range ? 206 : 200);
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
    if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    if (downloadName) res.setHeader('Content-Disposition', `inline; filename="${downloadName}"`);
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    // The stream owns the handle from here and closes it at its end.
    const stream = file.createReadStream({ start, end, autoClose: true });
    await pipeline(stream, res).catch((err: unknown) => {
      // A client that goes away mid-file is not an error of ours.
      if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
    });
  } finally {
    await file.close().catch(() => undefined);
  }
}

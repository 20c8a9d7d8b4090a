/**
 * /api/voicemails: messages callers left at a voicemail exit. Listed newest
 * first in keyset pages; the audio is the WAV file the media server wrote,
 * served with range requests so a player can seek; PATCH marks a message
 * heard or assigns it to an agent; DELETE removes the row and the file.
 * The read token may list and listen; writes need the admin token (auth.ts).
 */
import { open, unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Voicemail, VoicemailsRepo } from '../../store/voicemails.ts';
import { byteRange } from '../http/byte-range.ts';
import { ApiError } from '../http/errors.ts';
import { defineRoute, found, type RouteDef } from '../http/route.ts';
import { keysetListRoute } from './keyset-list.ts';
import {
  voicemailId,
  voicemailListQuery,
  voicemailPatch,
  voicemailView,
} from '../schemas/voicemails.ts';

const tag = 'voicemails';

/** The row as the API shows it: the file's path stays on the server. */
function view(v: Voicemail) {
  const { path: _path, ...rest } = v;
  return rest;
}

const audioGone = () => new ApiError(404, 'not_found', 'voicemail audio not found');

export function voicemailRoutes(deps: { voicemails: VoicemailsRepo }): RouteDef[] {
  const { voicemails } = deps;
  return [
    keysetListRoute(
      {
        path: '/voicemails',
        tag,
        summary: 'Voicemails by department, time left (from/to) and heard or not',
        query: voicemailListQuery,
        item: voicemailView,
      },
      async (query) => {
        const page = await voicemails.list(query);
        return { items: page.items.map(view), nextCursor: page.nextCursor };
      },
    ),
    defineRoute(
      {
        method: 'get',
        path: '/voicemails/:id',
        tag,
        summary: 'One voicemail',
        params: voicemailId,
        response: voicemailView,
        errors: [404],
      },
      async ({ params }) => view(found(await voicemails.get(params.id), 'voicemail')),
    ),
    defineRoute(
      {
        method: 'get',
        path: '/voicemails/:id/audio',
        tag,
        summary:
          'The recording as audio/wav (8 kHz 16-bit mono); honours a single Range (206 with Content-Range, 416 past the end)',
        params: voicemailId,
        produces: 'audio/wav',
        errors: [404, 416],
      },
      async ({ params, req, res }) => {
        const v = found(await voicemails.get(params.id), 'voicemail');
        const file = await open(v.path, 'r').catch(() => {
          throw audioGone();
        });
        let start = 0;
        let end = -1;
        try {
          const size = (await file.stat()).size;
          const range = byteRange(req.headers.range, size);
          res.setHeader('Accept-Ranges', 'bytes');
          if (range.kind === 'unsatisfiable') {
            res.setHeader('Content-Range', `bytes */${size}`);
            throw new ApiError(
              416,
              'range_not_satisfiable',
              `the range is outside the recording (${size} bytes)`,
            );
          }
          [start, end] = range.kind === 'part' ? [range.start, range.end] : [0, size - 1];
          res.status(range.kind === 'part' ? 206 : 200);
          res.setHeader('Content-Type', 'audio/wav');
          res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
          if (range.kind === 'part')
            res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
          if (req.method === 'HEAD' || size === 0) {
            await file.close();
            res.end();
            return;
          }
        } catch (err) {
          await file.close().catch(() => undefined);
          throw err;
        }
        // The stream owns the handle from here and closes it. A listener that
        // goes away mid-file ends the response; that is no error of ours.
        await pipeline(file.createReadStream({ start, end }), res).catch(() => undefined);
      },
    ),
    defineRoute(
      {
        method: 'patch',
        path: '/voicemails/:id',
        tag,
        summary: 'Marks a voicemail heard (or not) and assigns it to an agent (null = nobody)',
        params: voicemailId,
        body: voicemailPatch,
        response: voicemailView,
        errors: [404],
      },
      async ({ params, body }) => {
        const patch = {
          ...(body.heard !== undefined ? { heard: body.heard } : {}),
          ...(body.assignedAgentId !== undefined ? { assignedAgentId: body.assignedAgentId } : {}),
        };
        return view(await voicemails.update(params.id, patch));
      },
    ),
    defineRoute(
      {
        method: 'delete',
        path: '/voicemails/:id',
        tag,
        summary: 'Deletes a voicemail and its recording',
        params: voicemailId,
        status: 204,
        errors: [404],
      },
      async ({ params }) => {
        const v = found(await voicemails.get(params.id), 'voicemail');
        // The file first: if it cannot be removed the row stays and the delete can be retried.
        await unlink(v.path).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
        await voicemails.remove(params.id);
      },
    ),
  ];
}

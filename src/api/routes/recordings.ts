/**
 * A call's recording: `GET /api/calls/:id/recording` serves the WAV (stereo,
 * caller left, agent right; byte ranges for seeking), `POST` starts or stops
 * the recording of a call in progress (admin token; the read token gets 403
 * from the token check).
 */
import { z } from 'zod';
import type { RecordingsRepo } from '../../store/recordings.ts';
import { ApiError } from '../http/errors.ts';
import { sendFileRange } from '../http/file-range.ts';
import { defineRoute, type RouteDef } from '../http/route.ts';
import type { RecordingControl, RecordingControlResult } from '../recording-control.ts';
import { recordingActionBody, recordingActionView } from '../schemas/recordings.ts';

const tag = 'calls';

const callParams = z.strictObject({ id: z.string().min(1).max(200) });

function answer(
  callId: string,
  result: RecordingControlResult,
): z.infer<typeof recordingActionView> {
  switch (result.kind) {
    case 'started':
    case 'stopped':
      return { callId, recording: result.kind };
    case 'not-live':
      throw new ApiError(404, 'not_found', 'call not found among the calls in progress', {
        field: 'id',
        reason: 'call is not live',
      });
    case 'not-anchored':
      throw new ApiError(409, 'conflict', 'this call cannot be recorded', {
        field: 'id',
        reason: 'call is not recorded/anchored',
      });
    case 'anchor-failed':
      throw new ApiError(502, 'bad_gateway', 'the call could not be moved into the media server', {
        field: 'id',
        reason: result.reason,
      });
    case 'not-recording':
      throw new ApiError(409, 'conflict', 'this call is not being recorded', {
        field: 'action',
        reason: 'call is not being recorded',
      });
  }
}

export function recordingRoutes(deps: {
  recordings: RecordingsRepo;
  control: RecordingControl;
  log: { warn(obj: object, msg: string): void };
}): RouteDef[] {
  const { recordings, control, log } = deps;
  return [
    defineRoute(
      {
        method: 'get',
        path: '/calls/:id/recording',
        tag,
        summary:
          "The call's recording as audio/wav (16-bit 8 kHz stereo: caller left, agent right); Range requests give 206 or 416",
        params: callParams,
        produces: 'audio/wav',
        errors: [404, 416],
      },
      async ({ params, req, res }) => {
        const recording = await recordings.latestForCall(params.id);
        if (!recording) throw new ApiError(404, 'not_found', 'this call has no recording');
        try {
          await sendFileRange(req, res, recording.path, 'audio/wav', `${params.id}.wav`);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          log.warn(
            { callId: params.id, recordingId: recording.id },
            'recording listed but its file is missing',
          );
          throw new ApiError(404, 'not_found', "this call's recording file is missing");
        }
      },
    ),
    defineRoute(
      {
        method: 'post',
        path: '/calls/:id/recording',
        tag,
        summary:
          'Starts or stops recording a call in progress ({"action": "start" | "stop"}); a call connected directly to its agent is first moved into the media server (re-INVITEs); 409 when the call cannot be recorded (not connected), 502 when a phone or the media server refused the move (the call goes on)',
        params: callParams,
        body: recordingActionBody,
        status: 200,
        response: recordingActionView,
        errors: [404, 409, 502],
      },
      async ({ params, body }) =>
        answer(
          params.id,
          body.action === 'start' ? await control.start(params.id) : await control.stop(params.id),
        ),
    ),
  ];
}

/**
 * BYEs the server sends by itself (drachtio-wire.md §3.4): ACK timeout,
 * cancel race, session timer expired, application gone. The dialog ends at
 * once; the owner app gets the BYE as an "unsolicited" frame.
 */
import { type SipHeader, serializeSipMessage } from '../sip/index.ts';
import { sipFrame } from '../wire/frames.ts';
import type { UaContext } from './context.ts';
import type { Dialog } from './dialog.ts';
import { dialogRequest } from './request-builder.ts';

/** BYE built from the dialog with a Reason, plus the "unsolicited" frame to the owner app. */
export function serverBye(ctx: UaContext, d: Dialog, text: string): void {
  if (d.state === 'terminated') return;
  const reason: SipHeader = { name: 'Reason', value: `SIP;cause=200;text="${text}"` };
  const built = dialogRequest(
    ctx,
    d,
    'BYE',
    d.remoteTarget,
    [reason],
    Buffer.alloc(0),
    ++d.localCseq,
  );
  ctx.dialogs.end(d);
  if (typeof built === 'string') return;
  const bytes = serializeSipMessage(built.req);
  ctx.layer.startClient(built.req, bytes, built.branch, built.dest, {
    onResponse: () => undefined,
  });
  const l = ctx.local(built.dest.protocol);
  d.conn.send(
    sipFrame(
      ctx.sid(),
      'application',
      {
        bytes: bytes.length,
        protocol: built.dest.protocol,
        address: l?.advertised ?? '',
        port: l?.port ?? 0,
      },
      'unsolicited',
      d.id,
      bytes.toString('utf8'),
    ),
  );
}

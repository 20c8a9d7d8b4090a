/** The live objects call control runs on, for /metrics, the benchmark and leak checks. */
import type { CallControl } from '../../calls/call-control.ts';
import type { RegisteredSources } from '../../calls/inbound/registered-sources.ts';
import type { CallerMedia } from '../../calls/media/caller-media.ts';
import type { OptionsProber } from '../../calls/reachability/options-prober.ts';
import type { CallLogWriter } from '../../calls/recorder/call-log-writer.ts';
import type { Registrar } from '../../calls/registrar/index.ts';
import type { VoicemailBox } from '../../calls/voicemail/voicemail-box.ts';
import type { LogEventInput } from '../../store/index.ts';

/** Live objects of the call-control layer (tests and the benchmark read counters from them). */
export interface CallControlRuntime {
  callControl: CallControl;
  registrar: Registrar;
  prober: OptionsProber | null;
  writer: CallLogWriter<LogEventInput>;
  sources: RegisteredSources;
  /** Media for queued callers (null with `media.callers = 'ringback'`). */
  media: CallerMedia | null;
  /** Voicemail exits' recordings (null without media). */
  voicemail: VoicemailBox | null;
}

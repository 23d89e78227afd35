// Per-frame view of one run, for the report's timelines: where each frame went and whether it
// played. The frames are the metrics' own frame table (harness/frames.ts), so the two agree.
import type { LogEvent } from '../core/events.ts';
import { frameTable } from './frames.ts';
import { DEFAULT_PARAMS } from './metrics.ts';

export interface FrameRow { seq: number; tRel: number; lane: 'direct' | 'relay' | 'concealed'; latencyMs: number | null }

export function computeFrames(events: LogEvent[], jitterBufferMs: number, observeEndMs?: number):
  { frames: FrameRow[]; marks: { t: number; what: string }[]; E: number } {
  const { E, frames: table } = frameTable(events, { jitterBufferMs, frameMs: DEFAULT_PARAMS.frameMs, direction: DEFAULT_PARAMS.direction, observeEndMs });
  const frames: FrameRow[] = table.map((f) => ({
    seq: f.seq, tRel: +(f.sentAt - E).toFixed(1),
    lane: f.state === 'on-time' && (f.path === 'direct' || f.path === 'relay') ? f.path : 'concealed',
    latencyMs: f.arrival === null ? null : +(f.arrival - f.sentAt).toFixed(1),
  }));
  const marks = [{ t: 0, what: `event ${(events.find((e) => e.type === 'event.fired')?.name as string | undefined) ?? ''}` }];
  const detected = events.find((e) => e.type === 'netchange.detected' && e.t >= E - 50);
  if (detected) marks.push({ t: +(detected.t - E).toFixed(1), what: `detected (${detected.via as string})` });
  for (const e of events) if (e.type === 'event.restored') marks.push({ t: +(e.t - E).toFixed(1), what: 'restored' });
  for (const e of events) if (e.type === 'event.step') marks.push({ t: +(e.t - E).toFixed(1), what: String(e['step']) });
  // a peer finding the intermediate gone (its relay silent), and its control connection back
  for (const e of events) {
    if (e.type === 'control.unreachable' || e.type === 'control.restored') marks.push({ t: +(e.t - E).toFixed(1), what: `${e.role}: intermediate ${e.type === 'control.restored' ? 'back' : 'unreachable'}` });
  }
  // what a strategy marks itself (e.g. libwebrtc's own concealment starting and ending)
  for (const e of events) if (e.type === 'timeline.mark') marks.push({ t: +(e.t - E).toFixed(1), what: `${e.role}: ${String(e['what'])}` });
  return { frames, marks, E };
}

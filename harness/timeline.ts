// Per-frame view of one run, for the report's timelines and the live view: where each frame went
// and whether it played. Same on-time rule as the metrics (isOnTime).
import type { LogEvent } from '../strategies/shared/events.ts';
import { isOnTime } from './metrics.ts';

export interface FrameRow { seq: number; tRel: number; lane: 'direct' | 'relay' | 'concealed'; latencyMs: number | null }

export function computeFrames(events: LogEvent[], jitterBufferMs: number, sender = 'answerer', receiver = 'mobile'):
  { frames: FrameRow[]; marks: { t: number; what: string }[] } {
  const E = events.find((e) => e.type === 'event.fired')?.t ?? events.find((e) => e.type === 'audio.sent')?.t ?? 0;
  const arrivals = new Map<number, { t: number; path: string }>();
  for (const e of events) {
    if (e.type === 'audio.recv' && e.role === receiver && !arrivals.has(e.seq as number)) arrivals.set(e.seq as number, { t: e.t, path: e.path as string });
  }
  const frames: FrameRow[] = [];
  for (const e of events) {
    if (e.type !== 'audio.sent' || e.role !== sender) continue;
    const a = arrivals.get(e.seq as number);
    const onTime = a !== undefined && isOnTime(e.t, a.t, jitterBufferMs);
    frames.push({ seq: e.seq as number, tRel: +(e.t - E).toFixed(1), lane: onTime ? (a!.path as 'direct' | 'relay') : 'concealed',
      latencyMs: a ? +(a.t - e.t).toFixed(1) : null });
  }
  const marks = [{ t: 0, what: `event ${(events.find((e) => e.type === 'event.fired')?.name as string | undefined) ?? ''}` }];
  const detected = events.find((e) => e.type === 'netchange.detected' && e.t >= E - 50);
  if (detected) marks.push({ t: +(detected.t - E).toFixed(1), what: `detected (${detected.via as string})` });
  for (const e of events) if (e.type === 'event.restored') marks.push({ t: +(e.t - E).toFixed(1), what: 'restored' });
  return { frames, marks };
}

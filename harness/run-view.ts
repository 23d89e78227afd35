// What the report's page of one run shows (docs/report.md, "A page per run"): its frames by path, its
// marks, the received audio's waveform with the concealed frames marked, every role's events, its
// metrics and capture checks, and links to the raw files in its run folder, which stay beside the
// report (the page links them by relative path; nothing is copied or fetched).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { BOOKKEEPING_TYPES } from '../core/events.ts';
import { FRAME_MS } from '../core/playout.ts';
import { readWav } from '../core/wav.ts';
import { mergeLogs } from './event-logs.ts';
import type { RunRecord } from './records.ts';
import { computeFrames, type FrameRow } from './timeline.ts';
import { esc } from './html.ts';
import { markRows } from './report-charts.ts';
import { linkName, networkName } from './scored-rows.ts';

/** A run's page: the frames packed by column (a bench of 480 runs stays a few MB; the page unpacks
 *  them into the datasets of harness/report-charts.ts timelineSpec and waveformSpec), its marks,
 *  and the rest as HTML. */
export interface RunView {
  title: string;
  frames: PackedFrames;
  marks: { t: number; what: string; row: number }[];
  html: string;
}

/** One entry per frame: lane is one letter a frame (d direct, r relay, c concealed); peak and wavS
 *  (the frame's place in received.wav, s) are null for a frame outside the file. */
export interface PackedFrames { seq: number[]; tRel: number[]; lane: string; latencyMs: (number | null)[]; peak: (number | null)[]; wavS: (number | null)[] }

/** The peak level (0–1) of every frame of received.wav, by seq: the file starts at the first frame
 *  that arrived (strategies/shared/audio-sink.ts toWav), so frame `seq` is at (seq − first) × FRAME_MS. */
export function framePeaks(frames: readonly FrameRow[], pcm: Buffer, sampleRate: number): Map<number, { peak: number; wavS: number }> {
  const peaks = new Map<number, { peak: number; wavS: number }>();
  const first = frames.find((f) => f.latencyMs !== null)?.seq;
  if (first === undefined) return peaks;
  const perFrame = (sampleRate * FRAME_MS) / 1000;
  const samples = pcm.length >> 1;
  for (const f of frames) {
    const from = (f.seq - first) * perFrame;
    if (from < 0 || from >= samples) continue;
    let peak = 0;
    for (let i = from; i < Math.min(from + perFrame, samples); i++) peak = Math.max(peak, Math.abs(pcm.readInt16LE(i * 2)));
    peaks.set(f.seq, { peak: +(peak / 32768).toFixed(2), wavS: +(((f.seq - first) * FRAME_MS) / 1000).toFixed(2) });
  }
  return peaks;
}

export function packFrames(frames: readonly FrameRow[], peaks: ReadonlyMap<number, { peak: number; wavS: number }>): PackedFrames {
  return {
    seq: frames.map((f) => f.seq), tRel: frames.map((f) => Math.round(f.tRel)), lane: frames.map((f) => f.lane[0]).join(''),
    latencyMs: frames.map((f) => (f.latencyMs === null ? null : Math.round(f.latencyMs))),
    peak: frames.map((f) => peaks.get(f.seq)?.peak ?? null), wavS: frames.map((f) => peaks.get(f.seq)?.wavS ?? null),
  };
}

/** Events shown per run: enough for any strategy's run (a fade logs ≈ 40), bounded for a huge log. */
const MAX_EVENTS = 400;

/** The run's own events (bookkeeping left out), relative to the event, as table rows. */
function eventRows(events: { t: number; role: string; type: string; [k: string]: unknown }[], E: number): string {
  const shown = events.filter((e) => !BOOKKEEPING_TYPES.has(e.type));
  const rows = shown.slice(0, MAX_EVENTS).map(({ t, role, type, ...rest }) => {
    const detail = JSON.stringify(rest);
    return `<tr><td>${(t - E).toFixed(1)}</td><td>${esc(role)}</td><td>${esc(type)}</td><td><code>${esc(detail.length > 240 ? `${detail.slice(0, 240)}…` : detail)}</code></td></tr>`;
  });
  const more = shown.length > MAX_EVENTS ? `<p>${shown.length - MAX_EVENTS} more events in the logs.</p>` : '';
  return `<table><tr><th>t − event (ms)</th><th>role</th><th>type</th><th>detail</th></tr>${rows.join('')}</table>${more}`;
}

const size = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / (1 << 20)).toFixed(1)} MB`);
const href = (rel: string) => rel.split(path.sep).map(encodeURIComponent).join('/');

/** The files of a run folder, each linked relative to the report (`rel`: the folder, seen from it). */
function fileLinks(dir: string, rel: string): string {
  const kind = (f: string) => (f.endsWith('.pcap') ? 'capture' : f.startsWith('keys.') ? 'key log' : f.endsWith('.sqlog') ? 'qlog'
    : f.endsWith('.jsonl') ? 'event log' : f.endsWith('.wav') ? 'audio' : '');
  return `<ul>${readdirSync(dir).sort().map((f) => `<li><a href="${href(path.join(rel, f))}">${esc(f)}</a> ${size(statSync(path.join(dir, f)).size)}${kind(f) ? ` (${kind(f)})` : ''}</li>`).join('')}</ul>`;
}

const metricsTable = (r: RunRecord) => `<table>${Object.entries(r.metrics ?? {}).map(([k, v]) => `<tr><td><code>${esc(k)}</code></td><td>${esc(typeof v === 'object' && v !== null ? JSON.stringify(v) : v ?? '∅')}</td></tr>`).join('')}</table>`;

/** A run's page, or null when its folder holds no logs (a snapshot, or a run that never started). */
export function runView(record: RunRecord & { observeEnd?: number }, dir: string, fromReport: string): RunView | null {
  if (!existsSync(dir)) return null;
  const events = mergeLogs(dir);
  if (!events.some((e) => e.type === 'audio.sent')) return null;
  const { frames, marks, E } = computeFrames(events, record.spec.jitterBufferMs, record.observeEnd);
  const wavFile = path.join(dir, 'received.wav');
  let wav: ReturnType<typeof readWav> | null = null;
  try { if (existsSync(wavFile)) wav = readWav(readFileSync(wavFile)); } catch { /* unreadable: the page says so, the report goes on */ }
  const peaks = wav ? framePeaks(frames, wav.pcm, wav.info.sampleRate) : new Map();
  const checks = record.captureChecks ?? [];
  const title = `${record.label}, ${record.spec.event}, run ${record.id}`;
  const html = `<p><a href="#">← back to the report</a></p><h2>Run ${esc(record.id)}</h2>
<p><b>${esc(record.status)}</b>${record.error ? `: ${esc(record.error)}` : ''}${record.noisy ? ` · noisy: ${esc(record.noisy)}` : ''} · strategy ${esc(record.label)} · network ${esc(networkName(record.spec))} · links ${esc(linkName(record.spec.links))} · event ${esc(record.spec.event)} · rep ${record.spec.rep} · seed ${record.spec.seed}</p>
<h3>Received audio</h3>${wav ? `<audio controls preload="metadata" src="${href(path.join(fromReport, 'received.wav'))}"></audio>
<p>The waveform below is received.wav, the receiver model's playout (docs/audio.md "Receiver"), one bar per frame; red: late or lost, as the metrics count them (with Opus the file holds libopus' concealment there, or the frame rebuilt from the next one's FEC; with PCM, silence). Click a bar to play from there.</p>` : '<p>No readable received.wav in the run folder.</p>'}
<div id="run-waveform" class="chart"></div><h3>Timeline</h3><div id="run-timeline" class="chart"></div>
<h3>Metrics</h3>${metricsTable(record)}
<h3>Checks from the capture</h3>${checks.length ? `<table>${checks.map((c) => `<tr><td>${esc(c.name)}</td><td class="${c.verdict}">${esc(c.verdict)}</td><td>${esc(c.detail)}</td></tr>`).join('')}</table>` : '<p>Not captured (<code>--capture</code>).</p>'}
<h3>Files</h3>${fileLinks(dir, fromReport)}
<h3>Events (every role, bookkeeping left out)</h3>${eventRows(events, E)}`;
  return { title, frames: packFrames(frames, peaks), marks: markRows(marks), html };
}

// A bench with a progress line (done/total, ETA, failures), a clean Ctrl-C and the medians at the end.
import path from 'node:path';
import { runBench, type BenchOptions } from '../bench.ts';
import type { BenchConfig } from '../config.ts';
import { chartRows, invalidRuns, outcome, type ChartRow } from '../scored-rows.ts';
import type { RunRecord } from '../records.ts';
import { hostLatencyLine } from '../host-latency.ts';
import { censoredMedian, formatValue, measuredMedian } from '../stats.ts';

/** Medians per strategy × NAT × link × event: the bench's figures at a glance. Every ok and failed
 *  run is in N; gap and recovery medians that reach a run that did not recover print `> window`
 *  (harness/stats.ts); invalid runs are listed, not scored. */
export function summaryLines(records: RunRecord[]): string[] {
  const groups = new Map<string, ChartRow[]>();
  for (const r of chartRows(records)) {
    const k = [r.label, r.nat, r.link, r.event].join(' | ');
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const invalid = invalidRuns(records);
  return ['medians (every ok and failed run in N; "> W": censored at the observe window W ms): ' +
    'strategy | NAT | link | event: runs, success, gap_ms, recovery_ms, detect_ms, limit_ms, limit_standby_ms',
    ...[...groups].map(([k, rs]) => `  ${k}: ${rs.length}, ${rs.filter((r) => r.success).length}/${rs.length}, ` +
      [...(['gap_ms', 'recovery_ms'] as const).map((m) => formatValue(censoredMedian(rs.map((r) => outcome(r, m))))),
        ...(['detect_ms', 'limit_ms', 'limit_standby_ms'] as const).map((m) => formatValue(measuredMedian(rs.map((r) => r[m]))))].join(', ')),
    ...(invalid.length ? [`invalid (scenario did not happen; not scored): ${invalid.length}`,
      ...invalid.map((r) => `  ${r.id} ${r.label} ${r.event}: ${r.reason}`)] : [])];
}

/** Runs a bench with a progress line (done/total, ETA, failures) and a clean Ctrl-C; returns the exit code. */
export async function benchWithProgress(config: BenchConfig, opts: Pick<BenchOptions, 'retryFailed' | 'shard' | 'resultsDir'> = {}): Promise<number> {
  const stop = new AbortController();
  // Ctrl-C, or SIGTERM from a scheduler (scancel): stop the running runs cleanly; they run again next time
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(sig);
    process.once(sig, () => { process.stderr.write(`\n${sig}: stopping the running runs (they run again next time)\n`); stop.abort(); });
  }
  const t0 = Date.now();
  const tty = process.stderr.isTTY;
  let shown = -1;   // without a terminal, one line per finished run
  let change: string | undefined;   // auto's level changes, each on a line of its own
  let hostShown = false;
  const fmt = (s: number | null) => (s === null ? '?' : `${Math.floor(Math.round(s) / 60)}m${String(Math.round(s) % 60).padStart(2, '0')}s`);
  const r = await runBench(config, {
    ...opts, signal: stop.signal,
    onProgress: (p) => {
      if (p.hostLatency && !hostShown) { hostShown = true; process.stderr.write(`host: ${hostLatencyLine(p.hostLatency)}\n`); }
      if (p.levelChange !== change) { change = p.levelChange; process.stderr.write(`${tty ? '\n' : ''}level ${change}\n`); }
      const line = `[${p.done}/${p.total}] ${p.total ? Math.round((100 * p.done) / p.total) : 100}% ${p.perMin === null ? '' : `${p.perMin.toFixed(1)} runs/min, `}ETA ${fmt(p.etaS)} ` +
        `failed ${p.failed}${p.skipped ? `, ${p.skipped} already done` : ''}, ${p.level} at once` +
        (p.noisyReruns ? `, ${p.noisyReruns} noisy run(s) made again` : '') +
        (p.last && !tty ? ` | ${p.last.id} ${p.last.status}${p.last.error ? `: ${p.last.error}` : ''}` : '');
      if (tty) process.stderr.write(`\r${line.padEnd(100)}`);
      else if (p.done !== shown) { shown = p.done; process.stderr.write(line + '\n'); }
    },
  });
  if (tty) process.stderr.write('\n');
  console.log(`${r.ran} run(s) made in ${fmt((Date.now() - t0) / 1000)} (wall time); ${r.records.length} recorded in ${path.join(r.dir, 'runs.csv')}`);
  console.log(`machine: ${r.cpu.busyS} CPU s busy over ${r.cpu.wallS} s${r.ran ? ` (${(r.cpu.busyS / r.ran).toFixed(2)} a run)` : ''}, ${r.cpu.stealS} s stolen`);
  console.log(summaryLines(r.records).join('\n'));
  return stop.signal.aborted ? 130 : 0;
}

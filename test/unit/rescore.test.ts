// migbench rescore: metrics computed again from a run folder's event logs; the earlier ones kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { computeMetrics } from '../../harness/metrics.ts';
import { rescoreBench } from '../../harness/rescore.ts';
import { readRecords } from '../../harness/records.ts';
import { DEFAULT_SPEC, runId } from '../../harness/spec.ts';

test('rescore recomputes a run\'s metrics from its logs, keeps the earlier ones, rewrites runs.csv, and is idempotent', () => {
  const bench = mkdtempSync(path.join(tmpdir(), 'migbench-rescore-'));
  try {
    const spec = { ...DEFAULT_SPEC, strategy: 'relay-repunch', observeS: 2 };
    const dir = path.join(bench, 'runs', runId(spec));
    mkdirSync(dir, { recursive: true });
    const T0 = 1_700_000_000_000, E = T0 + 3000;
    const lines = (xs: object[]) => xs.map((x) => JSON.stringify(x)).join('\n') + '\n';
    // 250 frames, 20 ms apart, 30 ms one way; frames 160-169 (sent 200-380 ms after E) lost
    const sent = Array.from({ length: 250 }, (_, n) => ({ t: T0 + 20 * n, role: 'answerer', type: 'audio.sent', seq: n, path: 'direct' }));
    const recv = sent.filter((s) => s.seq < 160 || s.seq >= 170).map((s) => ({ t: s.t + 30, role: 'mobile', type: 'audio.recv', seq: s.seq, path: 'direct', sentAt: s.t }));
    writeFileSync(path.join(dir, 'events.harness.jsonl'), lines([{ t: E, role: 'harness', type: 'event.fired', name: 'wifi-to-cellular', tIssued: E - 1 }]));
    writeFileSync(path.join(dir, 'events.answerer.jsonl'), lines(sent));
    writeFileSync(path.join(dir, 'events.mobile.jsonl'), lines(recv));
    const observeEnd = T0 + 5000;
    const stale = { ...computeMetrics([]), gap_ms: 999 };
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ id: runId(spec), label: 'relay-repunch', status: 'ok', spec, observeEnd, rtts: { mobileIntermediate: 40 }, metrics: stale }));

    assert.deepEqual(rescoreBench(bench), { runs: 1, changed: 1 });
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    assert.equal(meta.metrics.gap_ms, 200, 'ten lost frames');
    assert.equal(meta.rescored.length, 1);
    assert.equal(meta.rescored[0].before.gap_ms, 999);
    assert.match(readFileSync(path.join(bench, 'runs.csv'), 'utf8'), /relay-repunch/);
    assert.equal(readRecords(bench)[0]!.metrics!.gap_ms, 200);
    assert.deepEqual(rescoreBench(bench), { runs: 1, changed: 0 }, 'a second pass changes nothing');
    assert.throws(() => rescoreBench(path.join(bench, 'nothing')), /no run folders/);
  } finally {
    rmSync(bench, { recursive: true, force: true });
  }
});

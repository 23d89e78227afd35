// The import graph has no cycle: a module's helpers must not live in a feature module that imports
// it back (docs/report.md's statistics in harness/stats.ts, records in harness/records.ts, paths in
// harness/paths.ts). Type-only imports vanish at run time and are not edges. The layers: core/ (the
// event log schema, the playout rule) imports nothing of ours; harness/ reaches strategies only
// through the contract and the registry; microbench/ measures strategy building blocks directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../../harness/paths.ts';

function sources(dir: string): string[] {
  return readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

/** Imports and re-exports of a module, as repository paths; `types` includes type-only ones. */
function imports(file: string, text: string, types = false): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'(\.[^']+)'/gm)) {
    if (types || !m[1]) out.push(path.normalize(path.join(path.dirname(file), m[2]!)));
  }
  return out;
}
const valueImports = (file: string, text: string) => imports(file, text);
const LAYERS = ['core', 'harness', 'microbench', 'strategies'];
const read = (f: string) => readFileSync(path.join(REPO, f), 'utf8');

/** Every cycle's modules (strongly connected components of more than one module, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next); low.set(v, next); next++; stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      for (let w = ''; w !== v;) { w = stack.pop()!; on.delete(w); comp.push(w); }
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('the cycle finder finds a cycle and ignores type-only imports', () => {
  assert.deepEqual(valueImports('harness/a.ts', "import { x } from './b.ts';\nimport type { Y } from './c.ts';\nexport { z } from './d.ts';"),
    ['harness/b.ts', 'harness/d.ts']);
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', []]])), []);
});

test('no module imports one that imports it back', () => {
  const graph = new Map(LAYERS.flatMap(sources).map((f) => [f, valueImports(f, read(f))]));
  assert.ok(graph.size > 40, `only ${graph.size} modules found`);
  assert.deepEqual(cycles(graph), []);
});

test('harness/ reaches strategies/ only through the contract and the registry; core/ imports nothing of ours', () => {
  const allowed = new Set(['strategies/contract.ts', 'strategies/registry.ts']);
  const internal = sources('harness').flatMap((f) => imports(f, read(f), true).filter((t) => t.startsWith('strategies/') && !allowed.has(t)).map((t) => `${f} -> ${t}`));
  assert.deepEqual(internal, []);
  const outward = sources('core').flatMap((f) => imports(f, read(f), true).filter((t) => !t.startsWith('core/')).map((t) => `${f} -> ${t}`));
  assert.deepEqual(outward, []);
});

/** Every module `from` reaches, following value imports (and type-only ones with `types`). */
function reach(from: string, types: boolean): Set<string> {
  const seen = new Set<string>();
  const go = (f: string) => { for (const t of imports(f, read(f), types)) if (!seen.has(t) && t.endsWith('.ts')) { seen.add(t); go(t); } };
  go(from);
  return seen;
}

// Reading a bench never depends on making one: reports and figures take merged logs, event kinds and
// scored rows from their own homes (harness/event-logs.ts, harness/network-events.ts,
// harness/scored-rows.ts); records and scores (logs to numbers) not even a type from harness/run/; and
// the bench and its fidelity comparison load no report.
test('report ↛ run, records/metrics ↛ run, bench ↛ report', () => {
  const harness = sources('harness');
  const report = harness.filter((f) => /^harness\/(report[^/]*|run-view|figure[^/]*)\.ts$/.test(f));
  assert.ok(report.length >= 8, `report modules: ${report.join(', ')}`);
  const rules: [string, string[], boolean, (t: string) => boolean][] = [
    ['report ↛ run', report, false, (t) => t.startsWith('harness/run/')],
    ['records/metrics ↛ run', ['harness/records.ts', 'harness/metrics.ts', 'harness/score.ts', 'harness/rescore.ts'], true, (t) => t.startsWith('harness/run/')],
    ['bench ↛ report', ['harness/bench.ts', 'harness/cli/bench.ts', 'harness/fidelity-compare.ts', 'harness/cli/progress.ts'], false, (t) => report.includes(t)],
  ];
  const broken = rules.flatMap(([rule, from, types, banned]) =>
    from.flatMap((f) => [...reach(f, types)].filter(banned).map((t) => `${rule}: ${f} reaches ${t}`)));
  assert.deepEqual(broken, []);
});

test('reach follows imports transitively: the run command reaches the run module, the report command a report', () => {
  assert.ok(reach('harness/cli/run.ts', false).has('harness/run/run.ts'));
  assert.ok(reach('harness/cli/report.ts', false).has('harness/report-charts.ts'));
});

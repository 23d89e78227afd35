// The report's charts as vega-lite specs (the HTML report and make figures draw them).
import type { FrameRow } from './timeline.ts';
import { cdfPoints, NOT_RECOVERED, outcome, type ChartRow } from './scored-rows.ts';
import { strategyScale } from './colours.ts';

export type Spec = Record<string, unknown>;
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** vega cuts labels at 160–180 px with "…": strategy labels with options are longer. */
export const WHOLE_LABELS = { axis: { labelLimit: 0, titleLimit: 0 }, legend: { labelLimit: 0, titleLimit: 0 } };

/** `bases`: label → the strategy it ran (the run spec's), for its colour (harness/colours.ts). */
export function gapCdfSpec(rows: ChartRow[], bases: ReadonlyMap<string, string> = new Map(),
  title = 'Audio gap after the event: CDF per strategy (runs that did not recover at +∞: the curve stops below 1)'): Spec {
  return {
    $schema: SCHEMA, title, config: WHOLE_LABELS, width: 520, height: 300, data: { values: cdfPoints(rows, 'gap_ms') },
    mark: { type: 'line', interpolate: 'step-after', point: { cursor: 'pointer' } },
    encoding: {
      x: { field: 'ms', type: 'quantitative', title: 'gap_ms (longest run of concealed frames)' },
      tooltip: [{ field: 'label', title: 'strategy' }, { field: 'ms', title: 'gap_ms' }, { field: 'id', title: 'run (click: its page)' }],
      y: { field: 'cdf', type: 'quantitative', title: 'fraction of all runs', scale: { domain: [0, 1] } },
      // every strategy in the legend, even one that never recovered (no point to draw)
      color: { field: 'label', type: 'nominal', title: 'strategy', scale: strategyScale(rows.map((r) => r.label), bases) },
    },
  };
}

/** Box plots of one metric per NAT preset, one panel per event. Runs that did not recover sit at
 *  the window's top, marked. The physical floors are drawn on switch_ms only: the jitter buffer's
 *  slack can push gap_ms below a floor, a switch cannot be faster (docs/metrics.md). */
export function boxSpec(rows: ChartRow[], metric: 'recovery_ms' | 'gap_ms' | 'switch_ms', title: string, bases: ReadonlyMap<string, string> = new Map()): Spec {
  const values = rows.map((r) => { const o = outcome(r, metric); return { ...r, [metric]: o.value, outcome: o.censored ? NOT_RECOVERED : 'recovered' }; });
  return {
    $schema: SCHEMA, title, config: WHOLE_LABELS, data: { values },
    facet: { column: { field: 'event', type: 'nominal', title: null } },
    spec: {
      width: 260, height: 240,
      layer: [
        { mark: { type: 'boxplot', extent: 'min-max' },
          encoding: { x: { field: 'nat', type: 'nominal', title: 'NAT preset' }, xOffset: { field: 'label' },
            y: { field: metric, type: 'quantitative', title: metric },
            color: { field: 'label', type: 'nominal', title: 'strategy', scale: strategyScale(rows.map((r) => r.label), bases) } } },
        { transform: [{ filter: { field: 'outcome', equal: NOT_RECOVERED } }],
          mark: { type: 'point', filled: true, size: 60, color: '#d62728' },
          encoding: { x: { field: 'nat', type: 'nominal' }, xOffset: { field: 'label' }, y: { field: metric, type: 'quantitative' },
            shape: { field: 'outcome', type: 'nominal', title: null, scale: { range: ['triangle-up'] } },
            tooltip: [{ field: 'id', title: 'run' }, { field: 'label', title: 'strategy' }, { field: 'status' }, { field: 'error' }] } },
        ...(metric === 'switch_ms' ? FLOOR_LAYERS : []),
      ],
    },
  };
}

const FLOOR_LAYERS = [
  { mark: { type: 'tick', color: 'black', thickness: 2, size: 40 },
    encoding: { x: { field: 'nat', type: 'nominal' }, y: { aggregate: 'median', field: 'limit_ms', type: 'quantitative' },
      tooltip: [{ aggregate: 'median', field: 'limit_ms', type: 'quantitative', title: 'limit_ms (median)' }] } },
  { mark: { type: 'tick', color: 'gray', thickness: 2, size: 40, strokeDash: [4, 2] },
    encoding: { x: { field: 'nat', type: 'nominal' }, y: { aggregate: 'median', field: 'limit_standby_ms', type: 'quantitative' },
      tooltip: [{ aggregate: 'median', field: 'limit_standby_ms', type: 'quantitative', title: 'limit_standby_ms (median)' }] } },
];

export function successSpec(rows: ChartRow[]): Spec {
  return {
    $schema: SCHEMA, title: 'Success rate (recovered inside the window, over ok and failed runs): strategy × NAT × event', config: WHOLE_LABELS, data: { values: rows },
    transform: [{ calculate: 'datum.success ? 1 : 0', as: 'ok' }],
    mark: 'rect', width: 420, height: { step: 28 },
    encoding: {
      x: { field: 'nat', type: 'nominal', title: 'NAT preset' }, y: { field: 'label', type: 'nominal', title: 'strategy' },
      column: { field: 'event', type: 'nominal', title: null },
      color: { aggregate: 'mean', field: 'ok', type: 'quantitative', title: 'success', scale: { domain: [0, 1], scheme: 'redyellowgreen' } },
      tooltip: [{ aggregate: 'mean', field: 'ok', type: 'quantitative', title: 'success rate', format: '.0%' }, { aggregate: 'count', type: 'quantitative', title: 'runs' }],
    },
  };
}

/** Frames by path and the run's marks (event, detection, steps). The data are named datasets
 *  (`frames`, `marks`), so the report's run page fills the same spec with another run's. */
export function timelineSpec(frames: FrameRow[], title: string, marks: { t: number; what: string }[], width = 620): Spec {
  return {
    $schema: SCHEMA, title, config: WHOLE_LABELS, width, height: 120,
    datasets: { frames, marks: markRows(marks) },
    layer: [
      { data: { name: 'frames' }, mark: { type: 'tick', thickness: 2 },
        encoding: {
          x: { field: 'tRel', type: 'quantitative', title: 'frame send time − event (ms)' },
          y: { field: 'lane', type: 'nominal', title: null, sort: [...LANES] },
          color: { field: 'lane', type: 'nominal', scale: { domain: [...LANES], range: LANE_COLOURS }, legend: null },
          tooltip: [{ field: 'seq' }, { field: 'lane' }, { field: 'latencyMs', title: 'latency (ms)' }],
        } },
      { data: { name: 'marks' }, mark: { type: 'rule', strokeDash: [3, 3] },
        encoding: { x: { field: 't', type: 'quantitative' }, tooltip: [{ field: 'what' }, { field: 't', title: 'ms' }] } },
      { data: { name: 'marks' }, mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 },
        encoding: { x: { field: 't', type: 'quantitative' }, y: { value: -4 }, yOffset: { field: 'row', type: 'quantitative', scale: { range: [0, -24] }, legend: null },
          text: { field: 'what' } } },
    ],
  };
}

/** A timeline's marks with the text row of each label (three rows, so close marks stay readable). */
export const markRows = (marks: { t: number; what: string }[]) => marks.map((m, i) => ({ ...m, row: i % 3 }));

export const LANES = ['direct', 'relay', 'concealed'] as const;
const LANE_COLOURS = ['#1f77b4', '#ff7f0e', '#d62728'];

/** One bar per frame of the received audio: its peak level, red where the frame was concealed (it
 *  is silence in received.wav). The `wave` dataset; x as in the timeline, so the two line up. */
export function waveformSpec(wave: { seq: number; tRel: number; peak: number; lane: string; wavS: number }[], title: string, width = 620): Spec {
  return {
    $schema: SCHEMA, title, config: WHOLE_LABELS, width, height: 90, datasets: { wave },
    data: { name: 'wave' },
    transform: [{ calculate: "datum.lane === 'concealed' ? 1 : datum.peak", as: 'bar' }, { calculate: '-datum.bar', as: 'low' }],
    mark: { type: 'bar', cursor: 'pointer' },
    encoding: {
      x: { field: 'tRel', type: 'quantitative', title: 'frame send time − event (ms); click to play from there' },
      y: { field: 'bar', type: 'quantitative', title: 'peak', scale: { domain: [-1, 1] }, axis: { values: [-1, 0, 1] } },
      y2: { field: 'low' },
      color: { field: 'lane', type: 'nominal', title: 'frame', scale: { domain: [...LANES], range: LANE_COLOURS } },
      opacity: { condition: { test: "datum.lane === 'concealed'", value: 0.35 }, value: 1 },
      tooltip: [{ field: 'seq' }, { field: 'lane' }, { field: 'peak' }, { field: 'wavS', title: 'received.wav at (s)' }],
    },
  };
}

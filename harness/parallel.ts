// How many runs a bench makes at once. A number is taken as given. `auto` runs at the top level,
// one above the machine's core count — the highest at which `make fidelity` agrees (docs/bench.md
// "Parallel runs": at four and five at once on two cores, handshake-bound recoveries came out
// 20–65 ms slower with no stall the guard could flag) — and leaves it only when that costs time:
// a noisy run (the fidelity guard, harness/run/fidelity.ts) is made again, so at level L with a
// share p of runs noisy a bench progresses at (1 − p)·L runs' worth, and one level lower, with
// none noisy, at L − 1; the level pays while p < 1/L. A window of runs over that share steps one
// down at once; a window at a lower level goes back up (how noisy a level is changes with the
// host's share of the vCPUs and with the cells being run). Until session 19 it stepped down at
// 2 % noisy: a bench then spent 295 of 480 runs one at a time and took 66 min instead of 24.

/** Runs judged at one level before it may climb back. */
export const WINDOW = 30;

/** Whether `noisy` of a window's runs at `level` cost more, made again, than the level saves. */
export const overBreakEven = (level: number, noisy: number): boolean => level > 1 && noisy > WINDOW / level;

export interface LevelStep { level: number; runs: number; noisy: number; why: string }

export class ParallelLevel {
  level: number;
  private readonly fixed: boolean;
  private runs = 0;      // at the current level, since it was taken
  private noisy = 0;
  private windowRuns = 0;
  private windowNoisy = 0;
  private why: string;
  /** Every level left, with its runs, noisy runs and why it was taken (bench.json keeps it). */
  readonly history: LevelStep[] = [];
  readonly max: number;

  constructor(setting: number | 'auto', cores: number, max = cores + 1) {
    this.fixed = setting !== 'auto';
    this.max = Math.max(1, max);
    this.level = setting === 'auto' ? this.max : setting;
    this.why = this.fixed ? 'as configured' : `the top: one above ${cores} cores, where make fidelity agrees`;
  }

  /** A run made at the current level finished. Returns why the level changed, if it did. */
  finished(noisy: boolean): string | null {
    this.runs++;
    this.windowRuns++;
    if (noisy) { this.noisy++; this.windowNoisy++; }
    if (this.fixed) return null;
    const costly = overBreakEven(this.level, this.windowNoisy);
    if (this.windowRuns < WINDOW && !costly) return null;
    const from = this.level;
    const to = costly ? from - 1 : Math.min(from + 1, this.max);
    const why = costly
      ? `${this.windowNoisy} of ${this.windowRuns} runs noisy at ${from} at once: over 1/${from} of a window of ${WINDOW}, made again they cost more than the level saves`
      : `a window of ${WINDOW} at ${from} at once (${this.windowNoisy} noisy): ${to} again`;
    this.windowRuns = this.windowNoisy = 0;
    if (to === from) return null;
    this.history.push({ level: from, runs: this.runs, noisy: this.noisy, why: this.why });
    this.level = to;
    this.runs = this.noisy = 0;
    this.why = why;
    return `${from} → ${to} at once: ${why}`;
  }

  /** Every level so far, the current one included. */
  summary(): LevelStep[] {
    return [...this.history, ...(this.runs ? [{ level: this.level, runs: this.runs, noisy: this.noisy, why: this.why }] : [])];
  }
}

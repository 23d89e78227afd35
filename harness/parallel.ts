// How many runs a bench makes at once. A number is taken as given; `auto` finds, while the bench
// runs, the largest level at which fewer than 2 % of runs are noisy on this machine (the fidelity
// guard, harness/run/fidelity.ts). It starts one above the machine's core count (a run keeps less
// than half a core busy: docs/bench.md "Parallel runs"), judges the runs made at one level in
// windows of WINDOW, goes one down as soon as 2 % of a window are noisy and one up after a clean
// window — also back to a level found noisy before: how noisy a level is changes during a bench,
// with the host's share of the vCPUs and with the cells being run (werift's blackout runs burst),
// so one window's verdict does not hold for the rest of it. A try costs at most the two noisy runs
// that end it, and those are made again. docs/bench.md, "Parallel runs".

/** Runs judged at one level before it may climb; 2 % of it is two runs (in a window of 50, one
 *  noisy run would already be 2 %: it could not tell a level at 1 % from one at 3 %). */
export const WINDOW = 100;
export const NOISY_SHARE = 0.02;

export interface LevelStep { level: number; runs: number; noisy: number }

export class ParallelLevel {
  level: number;
  private readonly fixed: boolean;
  private runs = 0;
  private noisy = 0;
  /** Every level used, with its runs and noisy runs (bench.json keeps it). */
  readonly history: LevelStep[] = [];

  constructor(setting: number | 'auto', cores: number, readonly max = 8) {
    this.fixed = setting !== 'auto';
    this.level = setting === 'auto' ? Math.max(1, Math.min(cores + 1, max)) : setting;
  }

  /** A run made at the current level finished. */
  finished(noisy: boolean): void {
    this.runs++;
    if (noisy) this.noisy++;
    if (this.fixed) return;
    const tooNoisy = this.noisy >= NOISY_SHARE * WINDOW;
    if (this.runs < WINDOW && !tooNoisy) return;
    this.history.push({ level: this.level, runs: this.runs, noisy: this.noisy });
    this.level = tooNoisy ? Math.max(1, this.level - 1) : Math.min(this.level + 1, this.max);
    this.runs = this.noisy = 0;
  }

  /** Every level so far, the current one included. */
  summary(): LevelStep[] {
    return [...this.history, ...(this.runs ? [{ level: this.level, runs: this.runs, noisy: this.noisy }] : [])];
  }
}

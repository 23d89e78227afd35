// How many runs a bench makes at once. A number is taken as given; `auto` finds, while the bench
// runs, the largest level up to one above the machine's core count at which fewer than 2 % of runs
// are noisy (the fidelity guard, harness/run/fidelity.ts). It starts at that top (a run keeps less
// than half a core busy: docs/bench.md "Parallel runs"), judges the runs made at one level in
// windows of WINDOW, goes one down as soon as 2 % of a window are noisy and one up after a clean
// window — also back to a level found noisy before: how noisy a level is changes during a bench,
// with the host's share of the vCPUs and with the cells being run (werift's blackout runs burst),
// so one window's verdict does not hold for the rest of it. A try costs at most the two noisy runs
// that end it, and those are made again. Not above cores + 1: at four and five at once on two
// cores, handshake-bound recoveries came out 20–65 ms slower than at two with no stall the guard
// could flag (docs/bench-speed.md, session 12).

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

  readonly max: number;
  constructor(setting: number | 'auto', cores: number, max = cores + 1) {
    this.fixed = setting !== 'auto';
    this.max = Math.max(1, max);
    this.level = setting === 'auto' ? Math.max(1, Math.min(cores + 1, this.max)) : setting;
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

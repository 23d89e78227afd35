// How many runs a bench makes at once. A number is taken as given; `auto` finds, while the bench
// runs, the largest level at which fewer than 2 % of runs are noisy on this machine (the fidelity
// guard, harness/run/fidelity.ts): it starts at the machine's core count, and after every
// WINDOW runs at one level goes one up if fewer than 2 % of them were noisy, else one down and
// stays there. docs/bench.md, "Parallel runs".

/** Runs judged at one level before it may change; 2 % of it is one run. */
export const WINDOW = 50;
export const NOISY_SHARE = 0.02;

export interface LevelStep { level: number; runs: number; noisy: number }

export class ParallelLevel {
  level: number;
  private frozen: boolean;
  private runs = 0;
  private noisy = 0;
  /** Every level used, with its runs and noisy runs (bench.json keeps it). */
  readonly history: LevelStep[] = [];

  constructor(setting: number | 'auto', cores: number, readonly max = 8) {
    this.frozen = setting !== 'auto';
    this.level = setting === 'auto' ? Math.max(1, Math.min(cores, max)) : setting;
  }

  /** A run made at the current level finished. */
  finished(noisy: boolean): void {
    this.runs++;
    if (noisy) this.noisy++;
    if (this.frozen) return;
    const tooNoisy = this.noisy >= NOISY_SHARE * WINDOW;
    if (this.runs < WINDOW && !tooNoisy) return;
    this.history.push({ level: this.level, runs: this.runs, noisy: this.noisy });
    if (tooNoisy) {
      this.level = Math.max(1, this.level - 1);
      this.frozen = true;   // the level below was clean (or is 1): stay
    } else if (this.level < this.max) this.level++;
    else this.frozen = true;
    this.runs = this.noisy = 0;
  }

  /** Every level so far, the current one included. */
  summary(): LevelStep[] {
    return [...this.history, ...(this.runs ? [{ level: this.level, runs: this.runs, noisy: this.noisy }] : [])];
  }
}

// Where a run's topology comes from. A run alone opens a driver, builds, and stops it before it
// returns; a bench builds the next run's topology ahead, while runs go on, and tears finished ones
// down behind, so that neither a driver's start (Python and Mininet's import: 0.31 s, 0.35 CPU s),
// nor a build (0.6 s, more on a loaded machine), nor a teardown (0.56 s) sits between two runs
// (docs/bench.md "Phases"). The driver does all three at the lowest CPU priority and serves a built
// topology at the normal one (topologies/priority.py), so that work ahead takes only what the
// measured runs leave.
import { TopologyDriver, type BuildInfo, type BuildOptions } from '../driver.ts';

export interface Built<D = TopologyDriver> { driver: D; info: BuildInfo }

export interface Drivers {
  /** A driver with a topology built to `opts`. */
  take(opts: BuildOptions): Promise<Built>;
  /** The run is done with it; resolves when the caller may go on (not necessarily torn down). */
  release(d: TopologyDriver): Promise<void>;
}

async function openAndBuild<D extends Buildable>(open: () => Promise<D> | D, opts: BuildOptions): Promise<Built<D>> {
  const driver = await open();
  try {
    return { driver, info: await driver.build(opts) };
  } catch (e) {
    await driver.stop().catch(() => {});
    throw e;
  }
}

export const OWN_DRIVER: Drivers = { take: (opts) => openAndBuild(TopologyDriver.open, opts), release: (d) => d.stop() };

type Buildable = Pick<TopologyDriver, 'stop' | 'build' | 'hurry'>;
/** Two builds are interchangeable when their options are: the options, keys sorted at every depth, are the recipe. */
const recipe = (v: unknown): string => Array.isArray(v) ? `[${v.map(recipe).join(',')}]`
  : v !== null && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${recipe((v as Record<string, unknown>)[k])}`).join(',')}}`
  : String(JSON.stringify(v));

export class DriverPool<D extends Buildable = TopologyDriver> {
  private spare: { recipe: string; opened: Promise<D>; built: Promise<Built<D>> } | null = null;
  private readonly stopping = new Set<Promise<void>>();
  /** `upcoming`: the build the next run will ask for, if any (the bench's queue). */
  constructor(private readonly upcoming: () => BuildOptions | undefined,
    private readonly open: () => Promise<D> = TopologyDriver.open as unknown as () => Promise<D>) {}

  /** The spare if it was built to `opts`, else one built now; the next run's spare starts meanwhile.
   *  A spare built to other options (a noisy run made again, two runs taken at once) is torn down.
   *  A spare still building when its run comes is what that run waits for: it goes on at the
   *  normal priority (on a loaded machine a build at the lowest one can take seconds). */
  take(opts: BuildOptions): Promise<Built<D>> {
    const spare = this.spare;
    this.spare = null;
    let built: Promise<Built<D>>;
    if (spare?.recipe === recipe(opts)) {
      void spare.opened.then((d) => d.hurry(), () => {});
      built = spare.built;
    } else {
      if (spare) void spare.built.then(({ driver }) => this.release(driver), () => {});
      built = openAndBuild(this.open, opts);
    }
    const next = this.upcoming();
    if (next) {
      const opened = this.open();
      this.spare = { recipe: recipe(next), opened, built: openAndBuild(() => opened, next) };
      opened.catch(() => {});
      this.spare.built.catch(() => {});   // its error, if any, reaches the run that takes it
    }
    return built;
  }

  release(d: D): Promise<void> {
    const p: Promise<void> = d.stop().catch(() => {}).finally(() => this.stopping.delete(p));
    this.stopping.add(p);
    return Promise.resolve();
  }

  /** Stops the spare and waits for every teardown: nothing the pool opened remains. */
  async close(): Promise<void> {
    const spare = this.spare;
    this.spare = null;
    if (spare) await spare.built.then(({ driver }) => driver.stop(), () => {});
    await Promise.all([...this.stopping]);
  }
}

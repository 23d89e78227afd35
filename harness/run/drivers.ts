// Where a run's topology driver comes from. A run alone opens one and stops it before it returns;
// a bench keeps the next one open ahead and tears finished ones down in the background, so neither
// a driver's start (Python and Mininet's import: 0.31 s, 0.35 CPU s) nor its teardown (0.56 s)
// sits between two runs (measured: docs/bench.md "Phases"). Both happen while another run builds
// or starts its roles, outside any measured window of that run.
import { TopologyDriver } from '../driver.ts';

export interface Drivers {
  take(): Promise<TopologyDriver>;
  /** The run is done with it; resolves when the caller may go on (not necessarily torn down). */
  release(d: TopologyDriver): Promise<void>;
}

export const OWN_DRIVER: Drivers = { take: () => TopologyDriver.open(), release: (d) => d.stop() };

type Stoppable = Pick<TopologyDriver, 'stop'>;

export class DriverPool<D extends Stoppable = TopologyDriver> {
  private spare: Promise<D> | null = null;
  private readonly stopping = new Set<Promise<void>>();
  constructor(private readonly open: () => Promise<D> = TopologyDriver.open as unknown as () => Promise<D>) {}

  /** The spare if one is open (else a new one), and a new spare opening meanwhile. */
  take(): Promise<D> {
    const d = this.spare ?? this.open();
    this.spare = this.open();
    this.spare.catch(() => {});   // its error, if any, reaches the run that takes it
    return d;
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
    if (spare) await spare.then((d) => d.stop(), () => {});
    await Promise.all([...this.stopping]);
  }
}

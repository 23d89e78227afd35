// Process faults: events the harness fires itself rather than the topology (by: 'harness' in
// harness/network-events.ts). intermediate-down:<s> kills the intermediate (SIGKILL: no goodbye to
// anyone) and starts it again, same config, its log appended, s seconds later (docs/testbed.md).
import type { RoleConfig } from '../../strategies/contract.ts';
import type { EventResult } from '../driver.ts';
import type { HarnessLog } from './logs.ts';
import { milestone, type RoleProcesses } from './roles.ts';

export class IntermediateFault {
  private readonly restarts: NodeJS.Timeout[] = [];
  constructor(private readonly roles: RoleProcesses, private readonly config: () => RoleConfig, private readonly log: HarnessLog) {}

  /** Kills it now; resolves when it is dead (the event's E). Its restart is logged as event.restored. */
  async down(name: string, seconds: number): Promise<EventResult> {
    const tIssued = Date.now();
    const code = await this.roles.kill('intermediate');
    const t = Date.now();
    this.log.append({ t, type: 'role.exit', of: 'intermediate', code });
    this.restarts.push(setTimeout(() => void this.restart(name).catch((e: Error) =>
      this.log.append({ t: Date.now(), type: 'error', message: `restarting the intermediate: ${e.message}` })), seconds * 1000));
    return { name, host: 'intermediate', t, tIssued };
  }

  private async restart(name: string): Promise<void> {
    const tIssued = Date.now();
    const p = await this.roles.start('intermediate', this.config());
    await milestone(p, 'ready', 20000);
    this.log.append({ t: Date.now(), type: 'event.restored', name, tIssued });
  }

  /** Restarts not yet due are dropped: the run is stopping. */
  cancel(): void { for (const r of this.restarts) clearTimeout(r); }
}

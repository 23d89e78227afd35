// The harness's own event log of a run, written while the run goes (reading a run's logs:
// harness/event-logs.ts).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HarnessLine } from '../scenario.ts';

/** The harness's own event log in a run folder, written line by line as things happen. */
export class HarnessLog {
  readonly file: string;
  constructor(dir: string) {
    this.file = path.join(dir, 'events.harness.jsonl');
    writeFileSync(this.file, '');
  }
  append(e: { t: number; type: string; [k: string]: unknown }): void {
    appendFileSync(this.file, JSON.stringify({ role: 'harness', ...e }) + '\n');
  }
  read(): HarnessLine[] {
    return readFileSync(this.file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as HarnessLine);
  }
}

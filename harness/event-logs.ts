// A run folder's event logs (docs/events.md): merged into one time-ordered list, or followed as they
// grow. Reports, records, scores and the live view read them from here, not from the run module.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import type { LogEvent } from '../core/events.ts';

const LOGS = ['harness', 'intermediate', 'answerer', 'mobile'];

export function mergeLogs(dir: string): LogEvent[] {
  const events: LogEvent[] = [];
  for (const role of LOGS) {
    const file = path.join(dir, `events.${role}.jsonl`);
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try { events.push(JSON.parse(line) as LogEvent); } catch { /* a line cut by a kill: skip it */ }
    }
  }
  return events.sort((a, b) => a.t - b.t);
}

/** Reads the lines appended to a file since the last call. */
export class LogTail {
  private offset = 0;
  private rest = '';
  constructor(private readonly file: string) {}
  read(): LogEvent[] {
    if (!existsSync(this.file)) return [];
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return [];
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const lines = (this.rest + buf.toString('utf8')).split('\n');
      this.rest = lines.pop() ?? '';
      return lines.flatMap((l) => { try { return [JSON.parse(l) as LogEvent]; } catch { return []; } });
    } finally {
      closeSync(fd);
    }
  }
}

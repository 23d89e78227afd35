// What a soak samples each interval, from outside the roles (the kernel's view, as an observer):
// every role process's resident memory and open file descriptors — with its child processes (a
// deployed stack's binary, coturn) — and the intermediate's state as it last logged it
// (intermediate.state, every 5 s). Role processes are found by their context file (the argv that
// harness/run/roles.ts gives them), so a restarted intermediate is followed to its new pid.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LogTail } from '../event-logs.ts';

export interface ProcUsage { role: string; pid: number; rssKb: number; fds: number; procs: number }
export interface StateSample { connections: number; sessions: number; relays: number }
export interface SoakSample { t: number; procs: ProcUsage[]; state: StateSample | null }

interface ProcEntry { pid: number; ppid: number; argv: string[] }

function processes(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(name), ppid, argv: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0') });
    } catch { /* it exited meanwhile */ }
  }
  return out;
}

/** A process's resident set (VmRSS, kB) and open descriptors; null once it is gone. */
function usageOf(pid: number): { rssKb: number; fds: number } | null {
  try {
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { rssKb: rss ? Number(rss[1]) : 0, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch { return null; }
}

/** The role a process plays in the run whose pair folders are `dirs` (dirs[k-1] is pair k's), by
 *  its context file: intermediate, answerer, mobile for pair 1; answerer2, mobile2, … */
export function roleOf(argv: readonly string[], dirs: readonly string[]): string | null {
  for (const arg of argv) {
    const m = /^context\.(\w+)\.json$/.exec(path.basename(arg));
    if (!m) continue;
    const k = dirs.indexOf(path.dirname(arg));
    if (k >= 0) return k === 0 ? m[1]! : `${m[1]}${k + 1}`;
  }
  return null;
}

export class SoakSampler {
  private readonly state: LogTail;
  private lastState: StateSample | null = null;
  constructor(private readonly dirs: readonly string[]) {
    this.state = new LogTail(path.join(dirs[0]!, 'events.intermediate.jsonl'));
  }

  sample(): SoakSample {
    for (const e of this.state.read()) if (e.type === 'intermediate.state') this.lastState = { connections: Number(e['connections']), sessions: Number(e['sessions']), relays: Number(e['relays']) };
    const all = processes();
    const children = new Map<number, number[]>();
    for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
    const procs: ProcUsage[] = [];
    for (const p of all) {
      const role = roleOf(p.argv, this.dirs);
      if (!role) continue;
      const tree = [p.pid];
      for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
      const usage = tree.map(usageOf).filter((u) => u !== null);
      if (!usage.length) continue;
      procs.push({ role, pid: p.pid, rssKb: usage.reduce((a, u) => a + u.rssKb, 0), fds: usage.reduce((a, u) => a + u.fds, 0), procs: usage.length });
    }
    return { t: Date.now(), procs: procs.sort((a, b) => a.role.localeCompare(b.role, 'en', { numeric: true })), state: this.lastState };
  }
}

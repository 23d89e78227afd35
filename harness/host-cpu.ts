// What the whole machine spent during a bench invocation (/proc/stat): the CPU time busy — every
// process of every run, the harness, the testbed's commands and the kernel's network work — and the
// time the hypervisor took (steal), so that "less CPU per run" (docs/bench-speed.md) is measured on the
// machine, not only in the role processes' own figures (`cpu_*_s`).
import { readFileSync } from 'node:fs';

/** Jiffies since boot from /proc/stat's first line: busy (user, nice, system, irq, softirq) and steal. */
export interface CpuSample { busy: number; steal: number }
/** What an invocation spent: seconds busy (summed over cores), seconds stolen, over `wallS`. */
export interface HostCpu { wallS: number; busyS: number; stealS: number }

/** USER_HZ on Linux: /proc/stat counts in hundredths of a second. */
const TICKS_PER_S = 100;

export function parseProcStat(text: string): CpuSample {
  const f = text.split('\n')[0]!.trim().split(/\s+/);
  if (f[0] !== 'cpu') throw new Error(`/proc/stat: no cpu line (${f[0]})`);
  const n = f.slice(1).map(Number);
  return { busy: n[0]! + n[1]! + n[2]! + n[5]! + n[6]!, steal: n[7] ?? 0 };
}

export const sampleCpu = (): CpuSample => parseProcStat(readFileSync('/proc/stat', 'utf8'));

export function cpuBetween(a: CpuSample, b: CpuSample, wallS: number): HostCpu {
  const r = (x: number) => Math.round(x * 10) / 10;
  return { wallS: r(wallS), busyS: r((b.busy - a.busy) / TICKS_PER_S), stealS: r((b.steal - a.steal) / TICKS_PER_S) };
}

// Where a role's memory is, every 10 s (`role.memory`, bookkeeping): what a soak's RSS series cannot
// say by itself — whether growth is the JavaScript heap, Buffers, or native memory outside both
// (docs/hardening.md "Soak"). The soak judges the RSS the kernel reports; this is for finding why.
import type { EventLogger } from '../../core/events.ts';

export const MEMORY_EVERY_MS = 10_000;

export function logMemory(log: EventLogger): () => void {
  const kb = (b: number) => Math.round(b / 1024);
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    log.logOther('role.memory', { rssKb: kb(m.rss), heapUsedKb: kb(m.heapUsed), heapTotalKb: kb(m.heapTotal), externalKb: kb(m.external), arrayBuffersKb: kb(m.arrayBuffers) });
  }, MEMORY_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

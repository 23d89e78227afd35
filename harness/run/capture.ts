// Packet captures of a run (`--capture`, `capture: true` in a bench config; docs/report.md
// "Captures"): tcpdump on the host-side end of every link of the topology, from before the roles
// start until after they stop, one pcap per link in the run folder; and every role's TLS secrets
// in an NSS key log (SSLKEYLOGFILE, written by strategies/shared/quic.ts), so that Wireshark and
// tshark decrypt the QUIC connections. Off by default, and then nothing of it runs.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { BuildInfo, HostProcess, TopologyDriver } from '../driver.ts';

/** At most this many packets per link: a run's audio is ≈ 50 packets/s a way, so only a flood
 *  reaches it; the pcap then ends there (tcpdump -c). */
export const CAPTURE_MAX_PACKETS = 200_000;

/** The key log a role writes when captured: keys.<role>.log in the run folder. */
export const keylogFile = (runDir: string, role: string) => path.join(runDir, `keys.${role}.log`);

/** The pcap of one link: <node>-<interface>.pcap. */
const pcapFile = (dir: string, end: BuildInfo['linkEnds'][number]) => path.join(dir, `${end.dev}.pcap`);

export interface Captures {
  /** Stops every tcpdump (it writes out what it holds) and lists the files with their sizes. */
  stop(): Promise<{ file: string; bytes: number }[]>;
}

/** Starts a tcpdump on every link end and resolves once each is listening. */
export async function startCaptures(driver: TopologyDriver, info: BuildInfo, dir: string): Promise<Captures> {
  const procs = await Promise.all(info.linkEnds.map(async (end) => {
    const file = pcapFile(dir, end);
    // -Z root: tcpdump would drop to its own user and could not write into the run folder; -U: each
    // packet written at once, so a run that dies still leaves a readable pcap; --immediate-mode:
    // packets reach tcpdump at once, not in blocks the kernel hands over up to 1 s later — a block
    // still held when tcpdump stops is lost (the run's last ≈ 100 ms were missing without it)
    const p = await driver.start(end.node, ['tcpdump', '-i', end.dev, '-n', '-U', '--immediate-mode', '-s', '0', '-Z', 'root',
      '-c', String(CAPTURE_MAX_PACKETS), '-w', file], { cwd: dir });
    await listening(p, end.dev);
    return { p, file };
  }));
  return {
    async stop() {
      await Promise.all(procs.map(async ({ p }) => { await p.signal('INT'); await p.exited; }));
      return procs.map(({ file }) => ({ file: path.basename(file), bytes: statSync(file).size }));
    },
  };
}

/** tcpdump says "listening on <dev>" on stderr once its capture is open. */
function listening(p: HostProcess, dev: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump on ${dev} did not start listening in 10 s`)), 10000);
    p.lines('stderr', (line) => { if (line.includes('listening on')) { clearTimeout(timer); resolve(); } });
    void p.exited.then((code) => { clearTimeout(timer); reject(new Error(`tcpdump on ${dev} exited (${code}) before listening${code === 127 ? ': tcpdump is missing (make setup installs it)' : ''}`)); });
  });
}

// The interactive run (`migbench run --interactive`, `make run`): a live terminal view of one run
// — path in use, frames per second, concealment, detections, handshakes — where keys fire events.
import path from 'node:path';
import type { LogEvent } from '../core/events.ts';
import { BASE_DELAY_WINDOW_MS, baseDelay, isOnTime, playoutDeadline } from '../core/playout.ts';
import type { Drive } from './run/drive.ts';
import { LogTail } from './event-logs.ts';
import { eventNames } from './schedule.ts';
import { eventKeys } from './network-events.ts';
import { offerCli } from './mininet-cli.ts';

const KEYS: Record<string, string> = eventKeys();

const NOTABLE = new Set(['event.fired', 'event.restored', 'event.step', 'netchange.detected', 'path', 'punch.ok', 'handshake.ok', 'repunch.failed', 'error']);

/** `cli`: open Mininet's CLI beside the view (mininet-cli.ts). */
export function liveDrive(input: NodeJS.ReadStream, output: NodeJS.WriteStream, opts: { cli?: boolean } = {}): Drive {
  return async ({ spec, dir, calibration, fire, cli }) => {
    const cliLine = opts.cli ? offerCli(await cli()) : null;
    return new Promise<void>((resolve) => {
      const tails = ['harness', 'answerer', 'mobile', 'intermediate'].map((r) => new LogTail(path.join(dir, `events.${r}.jsonl`)));
      const sent = new Map<number, number>();
      const arrived = new Map<number, { t: number; path: string }>();
      let d0: number | null = null;
      const recent: { t: number; line: string }[] = [];   // kept in time order across the roles' logs
      let pathNow = '?';
      let handshakes = 0;
      const t0 = Date.now();
      const note = (line: string, t = Date.now()) => {
        recent.push({ t, line });
        recent.sort((a, b) => a.t - b.t);
        if (recent.length > 8) recent.shift();
      };
      const ingest = () => {
        for (const tail of tails) for (const e of tail.read()) {
          if (e.type === 'audio.sent' && e.role === 'answerer') sent.set(e.seq as number, e.t);
          else if (e.type === 'audio.recv' && e.role === 'mobile' && !arrived.has(e.seq as number)) { arrived.set(e.seq as number, { t: e.t, path: e.path as string }); pathNow = e.path as string; }
          if (e.type === 'handshake.ok' && e.with === 'peer' && e.role === 'mobile') handshakes++;
          if (NOTABLE.has(e.type) && !(e.type === 'handshake.ok' && e.with !== 'peer')) {
            const fields = Object.entries(e).filter(([k]) => !['t', 'role', 'type'].includes(k)).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ');
            note(`${((e.t - t0) / 1000).toFixed(3).padStart(8)} s  ${e.role.padEnd(12)} ${e.type} ${fields}`.slice(0, 110), e.t);
          }
        }
      };
      const rtt = (p: string) => calibration.find((c) => c.path === p)?.median?.toFixed(1) ?? '?';
      const draw = () => {
        ingest();
        const now = Date.now(), J = spec.jitterBufferMs;
        // D0 before any event is known: the first seconds of audio, as received.wav takes it
        const firstSent = d0 === null ? [...sent.values()].reduce((m, t) => Math.min(m, t), Infinity) : Infinity;
        if (now > firstSent + BASE_DELAY_WINDOW_MS) {
          d0 = baseDelay([...arrived].map(([seq, a]) => ({ sentAt: sent.get(seq) ?? Infinity, arrivedAt: a.t })), firstSent, firstSent + BASE_DELAY_WINDOW_MS);
        }
        let got = 0, concealed = 0;
        for (const [seq, at] of sent) {   // frames whose playout deadline fell in the last second
          const deadline = playoutDeadline(at, d0 ?? 0, J);
          if (deadline > now - 1000 && deadline <= now) {
            const a = arrived.get(seq);
            if (a && isOnTime(at, a.t, J, d0 ?? 0)) got++; else concealed++;
          }
        }
        output.write('\x1b[H\x1b[2J' + [
          `migbench live — ${spec.strategy}  NAT ${spec.nat.answerer}/${spec.nat.wifi}/${spec.nat.cellular}  ${((now - t0) / 1000).toFixed(1)} s`,
          '',
          `path in use   ${pathNow}`,
          `frames/s      ${got} on time, ${concealed} concealed (last second, J = ${J} ms, D0 = ${d0 === null ? '?' : d0.toFixed(1)} ms)`,
          `P2P handshakes ${handshakes}`,
          `RTT (calibrated, ms) direct via wifi ${rtt('wifi+answerer')}, via cellular ${rtt('cellular+answerer')}; ` +
            `mobile-intermediate ${rtt('wifi+intermediate')} / ${rtt('cellular+intermediate')}`,
          '',
          'recent:',
          ...recent.map((r) => `  ${r.line}`),
          '',
          `keys: ${Object.entries(KEYS).map(([k, v]) => `${k} ${v}`).join(' · ')} · e ${spec.event} · q quit`,
          ...(cliLine ? [cliLine] : []),
        ].join('\n') + '\n');
      };
      const timer = setInterval(draw, 250);
      draw();
      const finish = () => {
        clearInterval(timer);
        input.off('data', onKey);
        if (input.isTTY) input.setRawMode(false);
        input.pause();
        resolve();
      };
      const onKey = (buf: Buffer) => {
        for (const ch of buf.toString()) {
          if (ch === 'q' || ch === '\x03') { finish(); return; }
          const name = ch === 'e' ? eventNames(spec.event)[0] : KEYS[ch];
          if (name && name !== 'none') fire(name).catch((err: Error) => note(`! ${name}: ${err.message}`));
        }
      };
      if (input.isTTY) input.setRawMode(true);
      input.on('data', onKey);
      input.resume();
    });
  };
}

// `migbench run`: one run of one strategy, headless or interactive (harness/live.ts).
import path from 'node:path';
import { eventKeys, eventsHelp } from '../network-events.ts';
import { METRIC_ORDER } from '../metrics.ts';
import { REPO } from '../paths.ts';
import { runOnce } from '../run/run.ts';
import { scheduled } from '../run/drive.ts';
import { liveDrive } from '../live.ts';
import { SLOTS } from '../testbed/commands.ts';
import { strategyNames } from '../../strategies/registry.ts';
import { specFlags, specFromFlags, type Command } from './flags.ts';

export const runCommand: Command = {
  summary: 'one run of one strategy: topology, roles, event, metrics',
  usage: `migbench run --strategy NAME [options]
  --strategy NAME        ${'one of: ' + strategyNames().join(', ')}
  --nat PRESET           all three NATs (default port-restricted); --nat-answerer / --nat-wifi / --nat-cellular override
  --link PROFILE         answerer, wifi and cellular slots (default lan); --link-<slot> overrides (${SLOTS.join(', ')})
  --ip SITE=FAMILY,…     address families (default ipv4 everywhere; docs/testbed.md "IPv6"): answerer|wifi=dual-stack,
                         cellular=dual-stack|ipv6-only (NAT64 to IPv4), clat=off (no CLAT on the phone), firewall-SITE=EIF|ADF|APDF
  --event EVENT          default wifi-to-cellular; one of
${eventsHelp().map((l) => `                           ${l}`).join('\n')}
                         every event is checked from the testbed; a run whose event did not happen is status=invalid, never scored
                         a schedule: EVENT@0,EVENT@S,… (seconds after the first; e.g. wifi-to-cellular@0,cellular-to-wifi@1.5)
  --warmup S             seconds of audio before the event (default 3.2: the 3 s pre-event window)
  --observe S            the most seconds to observe after it (default 8)
  --settle S             stop observing once the outcome has held S seconds (default 2; 0: always observe S)
  --start S              the most seconds to wait for the first audio before the run fails (default 10)
  --seed N  --rep N      run seed and repetition index (part of the run id)
  --audio answerer-to-mobile|both    --jitter-buffer MS (default 80)
  --codec opus|pcm       what frames carry (default opus: 24 kbit/s VBR, in-band FEC, 10 % expected loss; docs/audio.md)
  --opus-bitrate KBPS  --opus-fec on|off  --opus-loss PCT    the Opus encoder's settings
  --playout fixed|adaptive   the receiver's jitter buffer: fixed at D0 + J (default), or adaptive (NetEQ-like; docs/audio.md)
  --opt KEY=VALUE        a strategy option (repeatable; \`migbench strategies\` lists them)
  --bench NAME           results/<NAME>/runs/<run id>/ (default adhoc)
  --headless             no live view: warm up, fire the event, observe, print the metrics (the default)
  --interactive          live terminal view; keys fire events (${Object.entries(eventKeys()).map(([k, v]) => `${k} ${v}`).join(', ')}; e = --event), q quits
  --cli                  with --interactive: Mininet's CLI too (a tmux pane beside the view, or \`migbench cli\`)
  --capture              a pcap of every link and the roles' TLS key logs in the run folder (docs/report.md "Captures")
  --json                 print the metrics as one JSON object`,
  options: {
    ...specFlags, bench: { type: 'string', default: 'adhoc' },
    headless: { type: 'boolean' }, interactive: { type: 'boolean' }, cli: { type: 'boolean' }, json: { type: 'boolean' },
    capture: { type: 'boolean' },
  },
  async run(v) {
    const spec = specFromFlags(v);
    const benchDir = path.join(REPO, 'results', v.bench as string);
    if (v.interactive && v.headless) throw new Error('--interactive and --headless exclude each other');
    if (v.cli && !v.interactive) throw new Error('--cli needs --interactive (a headless run ends on its own)');
    const r = await runOnce(spec, benchDir, { progress: (m) => { if (!v.json) process.stderr.write(`[${spec.strategy}] ${m}\n`); },
      drive: v.interactive ? liveDrive(process.stdin, process.stdout, { cli: Boolean(v.cli) }) : scheduled, capture: Boolean(v.capture) });
    const status = r.meta.status as string;
    const ok = status === 'ok' && r.metrics.success;
    if (v.json) { console.log(JSON.stringify({ id: r.id, dir: r.dir, status, error: r.meta.error, ...r.metrics })); return ok ? 0 : 3; }
    console.log(`run ${r.id}\n  ${r.dir}\n  status             ${status}${r.meta.error ? `: ${r.meta.error as string}` : ''}`);
    for (const k of METRIC_ORDER) {
      const val = r.metrics[k];
      console.log(`  ${k.padEnd(18)} ${typeof val === 'number' ? +val.toFixed(1) : JSON.stringify(val)}`);
    }
    for (const e of (r.meta.perEvent as { name: string; concealed_ms: number; gap_ms: number }[] | undefined) ?? []) {
      console.log(`  after ${e.name.padEnd(18)} concealed ${e.concealed_ms} ms, gap ${e.gap_ms} ms`);
    }
    console.log(`  received audio     ${path.join(r.dir, 'received.wav')}`);
    if (v.capture) console.log(`  captures           ${path.join(r.dir, '*.pcap')} (keys: keys.<role>.log)`);
    return ok ? 0 : 3;
  },
};

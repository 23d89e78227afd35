// Captures (issue 18): a captured run leaves a pcap per link and every role's TLS key log, and
// tshark — an observer independent of the bench — decrypts the QUIC connections with them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SPEC, type RunSpec } from '../../harness/spec.ts';
import { runOnce, type RunResult } from '../../harness/run/run.ts';

const bench = mkdtempSync(path.join(tmpdir(), 'migbench-capture-'));
test.after(() => rmSync(bench, { recursive: true, force: true }));

/** Frames tshark decodes with the key log, one line per packet that matches `filter`. */
function decoded(pcap: string, keys: string, filter: string, field: string): string[] {
  // quic.reassemble_crypto_out_of_order:FALSE: quiche re-sends a new ClientHello after a Retry, which
  // Wireshark otherwise drops as a retransmission (docs/report.md "Captures")
  const out = execFileSync('tshark', ['-n', '-r', pcap, '-o', `tls.keylog_file:${keys}`, '-o', 'quic.reassemble_crypto_out_of_order:FALSE', '-d', 'udp.port==4433,quic',
    '-Y', filter, '-T', 'fields', '-e', field], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter(Boolean);
}

/** A captured run whose Wi-Fi DATAGRAMs tshark decrypts with the run's key logs. Once in a clean-clone CI
 *  run (1 of ≈ 10 such runs seen) none was: the P2P connection's secrets were missing from the joined
 *  key log (suspected: a connection's part flushed after the role's exit hook read it,
 *  strategies/shared/quic.ts). A second run is made then, and the first one's count is printed. */
async function capturedRun(spec: RunSpec, keys: string): Promise<RunResult> {
  for (let attempt = 1; ; attempt++) {
    const r = await runOnce(spec, bench, { capture: true });
    writeFileSync(keys, ['intermediate', 'answerer', 'mobile'].map((role) => readFileSync(path.join(r.dir, `keys.${role}.log`), 'utf8')).join(''));
    const n = r.meta.status === 'ok' ? decoded(path.join(r.dir, 'mobile-wifi.pcap'), keys, 'quic.dg', 'quic.dg.length').length : 0;
    if (n > 50 || attempt === 2) return r;
    console.log(`attempt ${attempt}: ${n} DATAGRAM frames decrypted on Wi-Fi (status ${String(r.meta.status)}); made again`);
  }
}

test('a captured relay-repunch run: a pcap per link and every role\'s key log; tshark decrypts the P2P DATAGRAMs and the control connections; every role\'s qlog parses', async () => {
  const spec: RunSpec = { ...DEFAULT_SPEC, strategy: 'relay-repunch', links: { answerer: 'broadband', wifi: 'broadband', cellular: 'broadband' }, observeS: 3, settleS: 2 };
  const keys = path.join(bench, 'keys.log');
  const r = await capturedRun(spec, keys);
  assert.equal(r.meta.status, 'ok', String(r.meta.error));
  const files = r.meta.capture as { file: string; bytes: number }[];
  const names = files.map((f) => f.file);
  for (const f of ['mobile-wifi.pcap', 'mobile-cell.pcap', 'intermediate-e0.pcap']) assert.ok(names.includes(f), `${f} in ${names.join(', ')}`);
  console.log(`captured: ${files.length} pcaps, ${(files.reduce((a, f) => a + f.bytes, 0) / 1e6).toFixed(1)} MB`);
  assert.match(readFileSync(path.join(r.dir, 'keys.mobile.log'), 'utf8'), /^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]+ [0-9a-f]+$/m);
  // the audio on the P2P connection over Wi-Fi before the event, and over cellular after it
  const wifi = decoded(path.join(r.dir, 'mobile-wifi.pcap'), keys, 'quic.dg', 'quic.dg.length');
  const cell = decoded(path.join(r.dir, 'mobile-cell.pcap'), keys, 'quic.dg', 'quic.dg.length');
  assert.ok(wifi.length > 50, `${wifi.length} DATAGRAM frames decrypted on Wi-Fi`);
  assert.ok(cell.length > 20, `${cell.length} DATAGRAM frames decrypted on cellular`);
  // the control connections to the intermediate (through its stateless Retry): their handshakes
  // (CRYPTO frames) and the signalling on their streams (1-RTT STREAM frames, types 0x08–0x0f)
  const control = decoded(path.join(r.dir, 'intermediate-e0.pcap'), keys, 'quic.frame_type == 6', 'quic.frame_type');
  assert.ok(control.length > 0, 'no CRYPTO frame of the control connections decrypted');
  const signalling = decoded(path.join(r.dir, 'intermediate-e0.pcap'), keys, 'quic.header_form == 0 && quic.frame_type >= 8 && quic.frame_type <= 15', 'quic.frame_type');
  assert.ok(signalling.length > 4, `${signalling.length} 1-RTT packets with STREAM frames of the control connections decrypted`);
  // every role's qlog: JSON-SEQ, the header, and time / name / data in every record
  for (const role of ['intermediate', 'answerer', 'mobile']) {
    const text = readFileSync(path.join(r.dir, `qlog.${role}.sqlog`), 'utf8');
    const [header, ...events] = text.split('\u001e').slice(1).map((x) => JSON.parse(x) as Record<string, unknown>);
    assert.equal(header!.qlog_format, 'JSON-SEQ', role);
    assert.ok(events.length > 0 && events.every((e) => typeof e.time === 'number' && typeof e.name === 'string' && typeof e.data === 'object'), role);
  }
  // the checks from the capture agree with the bench: its P2P handshakes, the mobile's new endpoint,
  // and the relay leg — the frames the mobile counted as relayed, read by tshark from the relay's
  // packets (not QUIC: the bench's own authenticated datagrams, strategies/shared/relay.ts)
  const checks = r.meta.captureChecks as { name: string; verdict: string; detail: string }[];
  assert.deepEqual(checks.map((c) => `${c.name}: ${c.verdict}`), ['handshakes: agree', 'new address: agree', 'relayed frames: agree'], JSON.stringify(checks));
  // without the keys nothing is decrypted: the check above is the keys' doing
  writeFileSync(keys, '');
  assert.equal(decoded(path.join(r.dir, 'mobile-wifi.pcap'), keys, 'quic.dg', 'quic.dg.length').length, 0);
});

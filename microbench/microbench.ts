// make microbench: the per-packet and per-run costs that bound the bench (tinybench, loopback only).
import { readFileSync } from 'node:fs';
import { openRelay, relayHeader, sealRelay } from '../strategies/shared/relay.ts';
import { Bench } from 'tinybench';
import { QUICClient } from '@matrixai/quic';
import { decodeFrame, encodeFrame } from '../strategies/shared/audio.ts';
import { DEFAULT_CODEC, frameEncoder } from '../core/codec.ts';
import { carriesFec } from '../core/receiver.ts';
import { readWav } from '../core/wav.ts';
import { SAMPLE } from '../harness/run/roles.ts';
import type { LogEvent } from '../core/events.ts';
import { baseConfig, installQuicShims } from '../strategies/shared/quic.ts';
import { clientCrypto, quietLogger } from '../strategies/shared/quic-tls.ts';
import { attachDatagrams } from '../strategies/shared/quic-datagrams.ts';
import { startEchoServer } from './loopback.ts';
import { encode, MessageReader, type Message } from '../strategies/shared/signalling.ts';
import { computeMetrics } from '../harness/metrics.ts';

/** A 10-minute run's log: 30 000 frames sent and received, a 500 ms outage, a relay stretch. */
function tenMinuteLog(): LogEvent[] {
  const t0 = 1.7e12, log: LogEvent[] = [];
  for (let seq = 0; seq < 30000; seq++) {
    const sentAt = t0 + seq * 20;
    const path = seq >= 15025 && seq < 15100 ? 'relay' : 'direct';
    log.push({ t: sentAt, role: 'answerer', type: 'audio.sent', seq, path });
    if (seq < 15000 || seq >= 15025) log.push({ t: sentAt + 23, role: 'mobile', type: 'audio.recv', seq, path, sentAt });
  }
  log.push({ t: t0 + 300000, role: 'harness', type: 'event.fired', name: 'wifi-to-cellular', tIssued: t0 + 299999 });
  return log;
}

async function main(): Promise<void> {
  installQuicShims();
  const pcm = Buffer.alloc(640, 7);
  // a frame inside a spoken word of the sample, and its packet
  const speech = readWav(readFileSync(SAMPLE)).pcm.subarray(258 * 640, 259 * 640);
  const opusEncode = frameEncoder(DEFAULT_CODEC, 16000);
  const opusPacket = opusEncode(speech);
  const frame = encodeFrame({ seq: 1234, sentAt: Date.now(), flags: 0, codec: 'pcm', payload: pcm });
  const peer: Message = { type: 'peer', role: 'mobile', reflexive: { addr: '198.18.3.2', port: 40000 }, host: [{ addr: '10.3.0.2', port: 5000 }], changed: true };
  const log = tenMinuteLog();
  const relayKey = Buffer.alloc(16, 3);
  const sealed = sealRelay(relayKey, 7, 1, frame);

  const logger = quietLogger();
  const echo = await startEchoServer();
  const dial = () => QUICClient.createQUICClient({ host: '127.0.0.1', port: echo.port, crypto: clientCrypto, logger,
    localHost: '127.0.0.1', config: baseConfig({ verifyPeer: false }) }, { timer: 3000 });
  const echoClient = await dial();
  let waiting: (() => void) | null = null;
  const dg = attachDatagrams(echoClient.connection, () => { waiting?.(); waiting = null; });

  const bench = new Bench({ time: 1000 });
  bench
    .add('audio frame encode + decode (640 B PCM)', () => { decodeFrame(encodeFrame({ seq: 1, sentAt: 1, flags: 0, codec: 'pcm', payload: pcm })); })
    .add('Opus: encode one 20 ms frame of the sample (24 kbit/s, FEC: the sender, per frame)', () => { opusEncode(speech); })
    .add('Opus: does a packet carry FEC (the receiver, per frame)', () => { carriesFec(opusPacket, 16000); })
    .add('signalling encode + decode (peer message)', () => { new MessageReader().push(encode(peer)); })
    .add('relay hot path: authenticate + re-seal an audio frame (crypto only)', () => {
      const h = relayHeader(sealed)!;
      const payload = openRelay(relayKey, sealed)!;
      sealRelay(relayKey, h.session, h.counter + 1, payload);
    })
    .add('QUIC datagram round trip, loopback (the P2P path\'s per-packet cost ×2)', async () => {
      const back = new Promise<void>((r) => { waiting = r; });
      await dg.send(frame);
      await back;
    })
    .add('metrics over a 10-minute log (60k events)', () => { computeMetrics(log); })
    .add('QUIC handshake, loopback (Retry + 1-RTT)', async () => { const c = await dial(); await c.destroy({ force: true }); });
  await bench.run();
  console.table(bench.table());
  await echoClient.destroy({ force: true });
  await echo.stop();
}

await main();

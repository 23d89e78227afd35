// DTLS key log of a captured run (harness/run/capture.ts sets SSLKEYLOGFILE): werift writes none of
// its own, but its cipher context holds each session's master secret, so every DTLS session this
// role opens leaves an NSS key log line and Wireshark decrypts the data channel (DTLS → SCTP → the
// audio). The line is appended at once; the QUIC key logs of the same file are appended at exit
// (strategies/shared/quic.ts), so the two never overwrite each other.
import { appendFileSync } from 'node:fs';
import type { RTCPeerConnection } from 'werift';

/** What of werift's CipherContext a key log needs (werift/lib/dtls/src/context/cipher.d.ts). */
export interface DtlsSecrets {
  /** werift's SessionType: 1 client, 2 server. */
  sessionType: number;
  localRandom: { serialize(): Buffer };
  remoteRandom: { serialize(): Buffer };
  masterSecret?: Buffer;
}

const CLIENT = 1;

/** The NSS key log line of a DTLS 1.2 session: CLIENT_RANDOM <the client hello's random> <master
 *  secret>, the same on both ends; null before the handshake has made the secret. */
export function clientRandomLine(c: DtlsSecrets): string | null {
  if (!c.masterSecret?.length) return null;
  const client = c.sessionType === CLIENT ? c.localRandom : c.remoteRandom;
  return `CLIENT_RANDOM ${client.serialize().toString('hex')} ${c.masterSecret.toString('hex')}\n`;
}

/** Once `pc` is connected, appends the key log line of each of its DTLS sessions to `file` (each
 *  once: an ICE restart keeps the session). Nothing without a file. */
export function logDtlsKeys(pc: RTCPeerConnection, file = process.env.SSLKEYLOGFILE): void {
  if (!file) return;
  const logged = new Set<string>();
  pc.connectionStateChange.subscribe((state) => {
    if (state !== 'connected') return;
    for (const t of pc.dtlsTransports) {
      const cipher = t.dtls?.cipher as DtlsSecrets | undefined;
      const line = cipher ? clientRandomLine(cipher) : null;
      if (line && !logged.has(line)) { logged.add(line); appendFileSync(file, line); }
    }
  });
}

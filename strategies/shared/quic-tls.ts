// The QUIC connections' public ingredients: the peers' and the intermediate's certificates (made by
// `make certs`, pinned by SHA-256 fingerprint), js-quic's crypto callbacks and a quiet logger. Nothing
// here reaches into js-quic's internals (those are in quic.ts, quic-datagrams.ts and quic-sockets.ts).
import { createHash, createHmac, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '@matrixai/quic';
import Logger, { LogLevel } from '@matrixai/logger';

// the repository: two folders up, or the folder above .build/ when this runs from the roles' bundle (Makefile)
const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUNDLED = HERE.lastIndexOf(`${path.sep}.build${path.sep}`);
const REPO = BUNDLED >= 0 ? HERE.slice(0, BUNDLED) : path.resolve(HERE, '../..');
export const CERTS_DIR = process.env.MIGBENCH_CERTS ?? path.join(REPO, 'certs');

export const quietLogger = () => new Logger('quic', LogLevel.WARN);

/** js-quic's crypto hooks: the server HMACs its Retry tokens, the client needs randomness. */
export function serverCrypto() {
  const key = randomBytes(32);
  const hmac = (k: ArrayBuffer, data: ArrayBuffer) =>
    createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest();
  return {
    key: key.buffer.slice(key.byteOffset, key.byteOffset + 32),
    ops: {
      async sign(k: ArrayBuffer, data: ArrayBuffer) { const d = hmac(k, data); return d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength); },
      async verify(k: ArrayBuffer, data: ArrayBuffer, sig: ArrayBuffer) {
        const d = hmac(k, data); const s = Buffer.from(sig);
        return d.length === s.length && timingSafeEqual(d, s);
      },
    },
  };
}
export const clientCrypto = { ops: { async randomBytes(buf: ArrayBuffer) { randomFillSync(new Uint8Array(buf)); } } };

export interface CertPair { key: string; cert: string; fingerprint: string }
export function loadCert(name: 'intermediate' | 'peer'): CertPair {
  const read = (ext: string) => {
    const file = path.join(CERTS_DIR, `${name}.${ext}`);
    try { return readFileSync(file, 'utf8'); } catch { throw new Error(`${file} is missing: run \`make certs\``); }
  };
  const cert = read('crt');
  return { key: read('key'), cert, fingerprint: fingerprint(pemToDer(cert)) };
}
function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
export function fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}
/** TLS verification by pinning: IP-literal hostnames fail quiche's name check (docs/research.md "IP-literal host names"). */
export function pinTo(expected: string) {
  return async (certs: Uint8Array[]) =>
    certs[0] && fingerprint(certs[0]) === expected ? undefined : native.CryptoError.BadCertificate;
}

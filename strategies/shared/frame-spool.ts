// A receiver's first arrivals, kept until received.wav is rendered at the end of the run: appended to
// a file beside it rather than held in memory. Held, a long call's frames grew the receiving role by
// ≈ 12 MB a minute — each payload copy pinned the 8 kB Buffer-pool slab it was copied into (Node's
// small Buffers share slabs), ≈ 3.4 kB a frame (docs/hardening.md "Soak"). Without a file (unit
// tests) the same records stay in memory.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

export interface Arrival { seq: number; sentAt: number; arrivedAt: number; fec: boolean; payload: Buffer }

// seq u32, sentAt f64, arrivedAt f64, fec u8, payload length u16, payload
const HEAD = 4 + 8 + 8 + 1 + 2;

export class FrameSpool {
  private readonly fd: number | null;
  private readonly kept: Buffer[] = [];
  constructor(private readonly file?: string) {
    this.fd = file ? openSync(file, 'w+') : null;
  }

  append(a: Arrival): void {
    const rec = Buffer.allocUnsafeSlow(HEAD + a.payload.length);
    rec.writeUInt32BE(a.seq, 0);
    rec.writeDoubleBE(a.sentAt, 4);
    rec.writeDoubleBE(a.arrivedAt, 12);
    rec.writeUInt8(a.fec ? 1 : 0, 20);
    rec.writeUInt16BE(a.payload.length, 21);
    a.payload.copy(rec, HEAD);
    if (this.fd === null) this.kept.push(rec);
    else writeSync(this.fd, rec);
  }

  /** Every arrival appended, the first of each seq. */
  read(): Map<number, Arrival> {
    const buf = this.fd === null ? Buffer.concat(this.kept) : readFileSync(this.file!);
    const out = new Map<number, Arrival>();
    for (let o = 0; o + HEAD <= buf.length;) {
      const len = buf.readUInt16BE(o + 21);
      const seq = buf.readUInt32BE(o);
      if (!out.has(seq)) {
        out.set(seq, { seq, sentAt: buf.readDoubleBE(o + 4), arrivedAt: buf.readDoubleBE(o + 12), fec: buf[o + 20] === 1, payload: buf.subarray(o + HEAD, o + HEAD + len) });
      }
      o += HEAD + len;
    }
    return out;
  }

  /** Closes and removes the file. */
  dispose(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    rmSync(this.file!, { force: true });
  }
}

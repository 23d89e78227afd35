// How audio crosses a P2P QUIC connection: as DATAGRAMs (the default: a lost frame is lost, a late
// one purged before it is sent) or on a reliable QUIC stream, as the original system sends it
// (`media=stream`, docs/research.md "The original system"): every frame arrives unless the
// connection dies, but a lost packet holds back every frame behind it until it is retransmitted
// (head-of-line blocking), and nothing queued can be purged.
import { events, type QUICConnection } from '@matrixai/quic';
import { attachDatagrams } from './quic-datagrams.ts';
import { directRoute, type AudioRoute } from './streaming.ts';

export type Media = 'datagram' | 'stream';

export const MEDIA_OPTION = {
  media: { describe: 'how audio crosses the P2P connection: datagram, or stream (reliable, in order: the original\'s)', default: 'datagram', values: ['datagram', 'stream'] },
};

/** The audio of one P2P connection both ways: the route frames go out on, and `onFrame` for the
 *  frames that arrive on it. */
export function p2pAudio(conn: QUICConnection, media: Media, onFrame: (frame: Uint8Array) => void): AudioRoute {
  if (media === 'datagram') return directRoute(attachDatagrams(conn, onFrame));
  readStreams(conn, onFrame);
  return streamRoute(conn);
}

/** Frames on one unidirectional stream of `conn`, opened with the first, each behind its length
 *  (u16, big-endian). */
function streamRoute(conn: QUICConnection): AudioRoute {
  let writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  return {
    path: 'direct',
    send(frame) {
      writer ??= conn.newStream('uni').writable.getWriter();
      const head = Buffer.alloc(2);
      head.writeUInt16BE(frame.length);
      writer.write(Buffer.concat([head, frame])).catch(() => {});   // the connection went away
    },
  };
}

/** Every stream the other side opens on `conn`, cut back into frames. */
function readStreams(conn: QUICConnection, onFrame: (frame: Uint8Array) => void): void {
  conn.addEventListener(events.EventQUICConnectionStream.name, (evt) => {
    const stream = (evt as events.EventQUICConnectionStream).detail;
    void (async () => {
      let buf = Buffer.alloc(0);
      try {
        for await (const chunk of stream.readable) {
          buf = buf.length ? Buffer.concat([buf, chunk]) : Buffer.from(chunk);
          while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            const len = buf.readUInt16BE(0);
            onFrame(buf.subarray(2, 2 + len));
            buf = buf.subarray(2 + len);
          }
        }
      } catch { /* the stream ended with its connection */ }
    })();
  });
}

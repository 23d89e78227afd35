// A QUIC server on loopback that echoes every datagram: shared by the micro-benchmarks and the
// shim tests (nothing here crosses a network namespace).
import { QUICServer, QUICSocket, events, type QUICConnection } from '@matrixai/quic';
import { baseConfig } from '../strategies/shared/quic.ts';
import { loadCert, quietLogger, serverCrypto } from '../strategies/shared/quic-tls.ts';
import { attachDatagrams } from '../strategies/shared/quic-datagrams.ts';

export interface EchoServer { socket: QUICSocket; port: number; connections: QUICConnection[]; stop(): Promise<void> }

export async function startEchoServer(): Promise<EchoServer> {
  const logger = quietLogger();
  const cert = loadCert('peer');
  const socket = new QUICSocket({ logger });
  await socket.start({ host: '127.0.0.1', port: 0 });
  const server = new QUICServer({ crypto: serverCrypto(), socket, logger,
    config: baseConfig({ key: cert.key, cert: cert.cert, verifyPeer: false }) });
  const connections: QUICConnection[] = [];
  server.addEventListener(events.EventQUICServerConnection.name, (evt) => {
    const conn = (evt as events.EventQUICServerConnection).detail;
    connections.push(conn);
    const dg = attachDatagrams(conn, (d) => void dg.send(d));
  });
  await server.start();
  return {
    socket, port: socket.port, connections,
    async stop() { await server.stop({ force: true }); await socket.stop({ force: true }); },
  };
}

// What nebula's own log (JSON lines) says about the tunnel to the other peer: set up directly or
// through the relay, moved to a new address (roaming), or closed. nebula 1.6.1 has no other way to
// ask (its debug console needs sshd); the lines and fields used are those of its handshake manager
// and host map: a completed handshake names the peer's UDP address, or none (`udpAddr: null`) when
// it went through a relay; "Host roamed to new udp ip/port." names the new address.
import type { PathKind } from '../../core/events.ts';

export type TunnelPath = PathKind | 'none';

interface NebulaLine { msg?: string; vpnIp?: string; udpAddr?: unknown; relay?: string; handshake?: { stage?: number }; newAddr?: unknown }

/** The tunnel to `peer` (its overlay address) after this line, or null if the line does not say. */
export function tunnelPath(line: string, peer: string): TunnelPath | null {
  let l: NebulaLine;
  try { l = JSON.parse(line) as NebulaLine; } catch { return null; }
  if (l.vpnIp !== peer) return null;
  switch (l.msg) {
    case 'Handshake message received':   // the initiator: the tunnel is up with stage 2
    case 'Handshake message sent':       // the responder: the tunnel is up once it sent stage 2
      if (l.handshake?.stage !== 2) return null;
      return l.relay || (l.msg === 'Handshake message received' && l.udpAddr === null) ? 'relay' : 'direct';
    case 'Host roamed to new udp ip/port.': return 'direct';
    case 'Close tunnel received, tearing down.':
    case 'Tunnel status': return 'none';
    default: return null;
  }
}

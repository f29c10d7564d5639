// Which local sockets exist, for the answers of the host's own stack: listening TCP sockets and bound UDP
// sockets from the snapshot (`ss -H -ltun`), plus connections the host itself holds that the capture
// reveals (the host sent packets from that address and port), so their traffic is not answered with RSTs.

import type { Host } from '../../host/host.js';

export class LocalSockets {
  private readonly conns = new Set<number>();

  constructor(private readonly host: Host) {}

  private static key(proto: number, laddr: number, lport: number): number {
    // local address folded with the port and protocol: exact enough to tell sockets apart on one host
    return ((laddr >>> 0) * 65536 + lport) * 2 + (proto === 6 ? 1 : 0);
  }

  /** A connection of the host's own, seen in the capture (local address and port). */
  addConnection(proto: number, laddr: number, lport: number): void {
    this.conns.add(LocalSockets.key(proto, laddr, lport));
  }

  /** Would a TCP segment to daddr:dport find a socket (listener or one of the host's connections)? HOT. */
  tcp(daddr: number, dport: number, _saddr: number, _sport: number): boolean {
    return this.host.isListening(6, daddr, dport) || this.conns.has(LocalSockets.key(6, daddr, dport));
  }

  /** Would a UDP datagram to daddr:dport find a socket? HOT. */
  udp(daddr: number, dport: number): boolean {
    return this.host.isListening(17, daddr, dport) || this.conns.has(LocalSockets.key(17, daddr, dport));
  }
}

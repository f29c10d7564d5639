// ARP on the host (net/ipv4/arp.c, arp_process): requests for one of our addresses create or refresh the
// sender's neighbour entry (neigh_event_ns, STALE) and are answered; replies update entries we have
// (REACHABLE) and release packets waiting for resolution. ARP frames the host sends (requests while
// resolving, replies) are reported on the device they leave — through the bridge when it is one.

import { be16, be32, putBe16, putBe32 } from '../../util/bytes.js';
import type { Datapath } from './datapath.js';
import type { Pkt } from './pkt.js';
import { PktType } from './pkt.js';
import { FDB_LOCAL, FDB_UNKNOWN } from './fdb.js';

const ARPOP_REQUEST = 1;
const ARPOP_REPLY = 2;
const ETH_P_ARP = 0x0806;
const ARP_FRAME_LEN = 42;

/** An ARP frame handed to the host on `dev` (a plain device, or a bridge passing it up). Consumes `p`. */
export function arpRcv(dp: Datapath, p: Pkt, dev: number): void {
  const m = p.meta;
  const b = p.buf;
  const a = m.l3Off;
  if (a < 0 || m.caplen - (a - m.frameOff) < 28 || be16(b, a) !== 1 || be16(b, a + 2) !== 0x0800 || b[a + 4] !== 6 || b[a + 5] !== 4) {
    dp.pool.put(p);
    return;
  }
  const op = be16(b, a + 6);
  const shaHi = be16(b, a + 8);
  const shaLo = be32(b, a + 10);
  const spa = be32(b, a + 14);
  const tpa = be32(b, a + 24);
  const now = p.finishNs;
  if (op === ARPOP_REQUEST && dp.host.fib.isLocal(tpa) && spa !== 0) {
    dp.neigh.learnSender(dev, spa, shaHi, shaLo, now);
    sendArp(dp, dev, ARPOP_REPLY, tpa, spa, shaHi, shaLo, now);
  } else if (op === ARPOP_REPLY || (op === ARPOP_REQUEST && spa === tpa)) {
    // replies (and gratuitous announcements) only update entries that exist (arp_accept = 0); only a reply
    // addressed to this host confirms (REACHABLE), anything else is taken as NUD_STALE news
    if (dp.neigh.peek(dev, spa) !== undefined) {
      if (op === ARPOP_REPLY && p.pktType === PktType.HOST) dp.neigh.confirm(dev, spa, shaHi, shaLo, now);
      else dp.neigh.learnSender(dev, spa, shaHi, shaLo, now);
    }
  }
  dp.pool.put(p);
}

/**
 * Send an ARP frame from `dev`: a request for `tpa` (broadcast, or unicast to tha when given), or a reply
 * to `tpa` at tha. The sender address is `spa` (for requests: an address of the device).
 */
export function sendArp(dp: Datapath, dev: number, op: number, spa: number, tpa: number, thaHi: number, thaLo: number, nowNs: number): void {
  const d = dp.host.iface(dev);
  const f = dp.arpFrame;
  const bcast = thaHi < 0;
  putBe16(f, 0, bcast ? 0xffff : thaHi);
  putBe32(f, 2, bcast ? 0xffffffff : thaLo);
  putBe16(f, 6, d.macHi);
  putBe32(f, 8, d.macLo);
  putBe16(f, 12, ETH_P_ARP);
  putBe16(f, 14, 1);
  putBe16(f, 16, 0x0800);
  f[18] = 6;
  f[19] = 4;
  putBe16(f, 20, op);
  putBe16(f, 22, d.macHi);
  putBe32(f, 24, d.macLo);
  putBe32(f, 28, spa);
  putBe16(f, 32, op === ARPOP_REQUEST ? 0 : thaHi);
  putBe32(f, 34, op === ARPOP_REQUEST ? 0 : thaLo);
  putBe32(f, 38, tpa);
  dp.sink.tx(dev, f, 0, ARP_FRAME_LEN, ARP_FRAME_LEN, nowNs, null);
  if (d.kind !== 'bridge') return;
  // br_dev_xmit: to the port the destination was learned on, else every port
  const fdb = dp.fdb[dev]!;
  const port = bcast ? FDB_UNKNOWN : fdb.lookup(thaHi, thaLo, nowNs);
  if (port === FDB_LOCAL) return;
  if (port >= 0) {
    dp.sink.tx(port, f, 0, ARP_FRAME_LEN, ARP_FRAME_LEN, nowNs, null);
    return;
  }
  for (const q of d.ports) if (dp.host.iface(q).portForwarding) dp.sink.tx(q, f, 0, ARP_FRAME_LEN, ARP_FRAME_LEN, nowNs, null);
}

/** The ARP request the neighbour layer sends while resolving `addr` on `dev`. */
export function arpSolicit(dp: Datapath, dev: number, addr: number, unicastHi: number, unicastLo: number, nowNs: number): void {
  const spa = dp.host.selectAddr(dev, addr, 253);
  sendArp(dp, dev, ARPOP_REQUEST, spa, addr, unicastHi, unicastLo, nowNs);
}

// Input side of the host: what a device hands to the stack (__netif_receive_skb: ARP or IPv4), ip_rcv with
// its header checks and PRE_ROUTING (skipped for frames br_netfilter already ran it for: ip_sabotage_in),
// ip_rcv_finish's route lookup and ip_error, and ip_local_deliver: reassembly, LOCAL_IN, and the answers
// the host's own stack gives without an application (echo replies, RST, port/protocol unreachable).

import { Csum, IpProto, L3, TcpFlag } from '../../decode/meta.js';
import { decodeIpv4Packet } from '../../decode/ipv4.js';
import { Verify } from '../../decode/verify.js';
import { Verdict } from '../skb.js';
import type { Datapath } from './datapath.js';
import type { Pkt } from './pkt.js';
import { PktType, RtKind } from './pkt.js';
import { Defrag, DefragResult } from './defrag.js';
import { RouteError, routeInput } from './route.js';
import { icmpEcho, icmpSend, icmpTimestamp } from './icmp.js';
import { verdictEnd } from './ip-output.js';
import { ipForward } from './ip-forward.js';
import { tcpSendReset } from './reject.js';
import { arpRcv } from './arp.js';
import { DatapathEvent } from './sink.js';
import { vxlanRcv } from './vxlan.js';

const ICMP_DEST_UNREACH = 3;
const ICMP_NET_UNREACH = 0;
const ICMP_HOST_UNREACH = 1;
const ICMP_PROT_UNREACH = 2;
const ICMP_PORT_UNREACH = 3;
const ICMP_PKT_FILTERED = 13;
const ETH_P_ARP = 0x0806;

/** A frame arrives on a device that is not a bridge port (plain interface, bridge pass-up, loopback). */
export function receiveOnDevice(dp: Datapath, p: Pkt, dev: number): void {
  p.dev = dev;
  const m = p.meta;
  if (m.l3 === L3.IPV4) return ipRcv(dp, p, dev);
  if (m.etherType === ETH_P_ARP || m.l3 === L3.ARP) {
    arpRcv(dp, p, dev);
    return;
  }
  dp.stats.nonIp++;
  dp.pool.put(p);
}

/** Re-read the packet's headers after the bytes changed wholesale (reassembly). */
export function redecode(dp: Datapath, p: Pkt): void {
  const m = p.meta;
  const l3 = m.l3Off;
  // the header now carries the datagram's total length; meta still describes the last fragment
  p.bindView();
  decodeIpv4Packet(m, p.buf, l3, (p.buf[l3 + 2]! << 8) | p.buf[l3 + 3]!, dp.counters, Verify.ALL);
}

/** Header sanity of ip_rcv_core / br_validate_ipv4: returns a drop reason or null. */
export function ipHeaderProblem(p: Pkt): string | null {
  const m = p.meta;
  if (m.l3 !== L3.IPV4 || m.ipHdrLen < 20) return 'malformed IPv4 header';
  if ((m.csum & Csum.IPV4_BAD) !== 0) return 'bad IPv4 header checksum';
  if (m.ipTotalLen < m.ipHdrLen) return 'IPv4 total length shorter than its header';
  return null;
}

/**
 * Offer a fragment to reassembly. Returns true when `p` now holds a complete datagram, false when it was
 * consumed (held, or dropped and reported).
 */
export function defragment(dp: Datapath, p: Pkt, hook: number): boolean {
  const r = dp.defrag.offer(p, p.nowNs);
  if (r === DefragResult.COMPLETE) {
    redecode(dp, p);
    dp.sink.event(DatapathEvent.REASSEMBLED, p, p.fragGeom?.length ?? 0, 0, '');
    return true;
  }
  if (r === DefragResult.DROP) {
    dp.kernelDrop(p, 'defrag', 'fragment discarded by reassembly (overlap, bad length or memory limit)', hook);
    dp.dropPacket(p, 'defrag', 'fragment discarded');
    return false;
  }
  dp.pool.put(p); // held (copied) by the reassembly queue
  return false;
}

/** ip_rcv + NF_INET_PRE_ROUTING + ip_rcv_finish. Takes ownership of `p`. */
export function ipRcv(dp: Datapath, p: Pkt, dev: number): void {
  p.hook = -1;
  if (p.pktType === PktType.OTHERHOST) {
    dp.kernelDrop(p, 'otherhost', 'frame addressed to another host (ip_rcv drops PACKET_OTHERHOST)', -1);
    return dp.dropPacket(p, 'otherhost', '');
  }
  const bad = ipHeaderProblem(p);
  if (bad !== null) {
    dp.kernelDrop(p, 'ip_header', bad, -1);
    return dp.dropPacket(p, 'ip_header', bad);
  }
  if (p.nfBridge === 0) {
    if (dp.conntrackActive && Defrag.isFragment(p) && !defragment(dp, p, 0)) return;
    const v = dp.preRouting(p, dev);
    if (v !== Verdict.ACCEPT) return verdictEnd(dp, p, v);
  }
  ipRcvFinish(dp, p, dev);
}

/** ip_rcv_finish: route (unless br_netfilter already did), then deliver or forward. */
export function ipRcvFinish(dp: Datapath, p: Pkt, dev: number): void {
  if (p.rtKind === RtKind.NONE || p.rtKind === RtKind.FAKE) {
    const err = routeInput(dp, p, dev);
    if (err !== RouteError.OK) return ipError(dp, p, err);
  }
  switch (p.rtKind) {
    case RtKind.LOCAL:
    case RtKind.BROADCAST:
    case RtKind.MULTICAST:
      return ipLocalDeliver(dp, p, dev);
    case RtKind.FORWARD:
      return ipForward(dp, p, dev);
    default:
      dp.kernelDrop(p, 'no_route', 'no usable route', -1);
      return dp.dropPacket(p, 'no_route', '');
  }
}

/** ip_error: the input route was an error route; maybe tell the sender (rate limited), then drop. */
function ipError(dp: Datapath, p: Pkt, err: number): void {
  if (err === RouteError.SILENT) {
    dp.kernelDrop(p, 'no_route', dp.routeDropReason, -1);
    return dp.dropPacket(p, 'no_route', dp.routeDropReason);
  }
  const code = err === RouteError.NET_UNREACH ? ICMP_NET_UNREACH : err === RouteError.HOST_UNREACH ? ICMP_HOST_UNREACH : ICMP_PKT_FILTERED;
  p.rtKind = RtKind.UNREACHABLE;
  if (dp.icmpLimit.routeErrorAllow(p.meta.saddr, p.nowNs)) icmpSend(dp, p, ICMP_DEST_UNREACH, code, 0);
  dp.kernelDrop(p, 'no_route', err === RouteError.NET_UNREACH ? 'no route to the destination' : 'unreachable or prohibit route', -1);
  dp.dropPacket(p, 'no_route', '');
}

/** ip_local_deliver: reassemble (when conntrack did not), LOCAL_IN, then the protocol handler. */
export function ipLocalDeliver(dp: Datapath, p: Pkt, dev: number): void {
  if (Defrag.isFragment(p) && !defragment(dp, p, 1)) return;
  const v = dp.localIn(p, dev);
  if (v !== Verdict.ACCEPT) return verdictEnd(dp, p, v);
  dp.stats.delivered++;
  deliverLocal(dp, p);
  dp.releaseCtRef(p);
  dp.pool.put(p);
}

/** The protocol handlers' behaviour without applications (tcp_v4_rcv, __udp4_lib_rcv, icmp_rcv ...). */
function deliverLocal(dp: Datapath, p: Pkt): void {
  const m = p.meta;
  const unicast = p.rtKind === RtKind.LOCAL;
  const badL4 = (m.csum & Csum.L4_BAD) !== 0;
  switch (m.ipProto) {
    case IpProto.ICMP:
      if (badL4 || m.l4Off < 0) return;
      if (m.icmpType === 8) icmpEcho(dp, p);
      else if (m.icmpType === 13) icmpTimestamp(dp, p);
      return;
    case IpProto.TCP:
      if (badL4 || m.l4Off < 0) return;
      if (dp.localSockets.tcp(m.daddr, m.dport, m.saddr, m.sport)) {
        dp.sink.event(DatapathEvent.DELIVERED, p, IpProto.TCP, m.dport, '');
        return;
      }
      if ((m.tcpFlags & TcpFlag.RST) === 0 && unicast) tcpSendReset(dp, p);
      return;
    case IpProto.UDP:
      if (m.l4Off < 0) return;
      // a VXLAN device's socket takes the datagram (and judges its checksum itself)
      if (dp.vxlanByPort.size > 0 && vxlanRcv(dp, p)) return;
      if (badL4) return;
      if (dp.localSockets.udp(m.daddr, m.dport)) {
        dp.sink.event(DatapathEvent.DELIVERED, p, IpProto.UDP, m.dport, '');
        return;
      }
      if (unicast) icmpSend(dp, p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
      return;
    case IpProto.IGMP:
    case IpProto.UDPLITE:
      return;
    default:
      if (unicast) icmpSend(dp, p, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
  }
}

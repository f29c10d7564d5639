// TCP resets and the REJECT target: nf_send_reset and nf_send_unreach (nf_reject_ipv4.c) — the reset is
// attached to the offending connection (RELATED), moves a confirmed TCP entry to CLOSE and goes through
// OUTPUT/POSTROUTING, or straight out of the input bridge port for bridged traffic — and the stack's own
// tcp_v4_send_reset for segments to closed local ports (ID 0, DF, the segment's TOS without ECN).

import { Csum, IpProto } from '../../decode/meta.js';
import type { PacketMeta } from '../../decode/meta.js';
import type { RouteKey } from '../../host/fib-rules.js';
import { decodeIpv4Packet } from '../../decode/ipv4.js';
import { Verify } from '../../decode/verify.js';
import { Hook, NONE, SockKind, Verdict } from '../skb.js';
import { RejectWith } from '../rules/target-data.js';
import type { Datapath } from './datapath.js';
import type { Pkt } from './pkt.js';
import { HEADROOM, PktType, RtKind } from './pkt.js';
import { buildTcpReset } from './build.js';
import { outputKey, routeOutput } from './route.js';
import { icmpSend, replyMark } from './icmp.js';
import { ipLocalOut, txFrame } from './ip-output.js';
import { DatapathEvent } from './sink.js';

const ICMP_DEST_UNREACH = 3;
/** --reject-with value → ICMP destination-unreachable code. */
const UNREACH_CODE: Readonly<Record<number, number>> = {
  [RejectWith.ICMP_NET_UNREACHABLE]: 0,
  [RejectWith.ICMP_HOST_UNREACHABLE]: 1,
  [RejectWith.ICMP_PROT_UNREACHABLE]: 2,
  [RejectWith.ICMP_PORT_UNREACHABLE]: 3,
  [RejectWith.ICMP_NET_PROHIBITED]: 9,
  [RejectWith.ICMP_HOST_PROHIBITED]: 10,
  [RejectWith.ICMP_ADMIN_PROHIBITED]: 13,
};

function replyPkt(dp: Datapath, orig: Pkt): Pkt {
  const q = dp.pool.derived(orig, orig.nowNs, orig.finishNs);
  q.generated = 1;
  return q;
}

/** Can a reset answer this segment (nf_reject_ip_tcphdr_get)? */
function resettable(p: Pkt): boolean {
  const m = p.meta;
  if (m.fragOffset !== 0 || m.ipProto !== IpProto.TCP || m.l4Off < 0) return false;
  if ((m.tcpFlags & 0x04) !== 0) return false; // no RST for RST
  if ((m.csum & Csum.L4_BAD) !== 0) return false;
  return true;
}

/**
 * REJECT: the original packet is dropped (the caller returns DROP) and the answer `with` is sent.
 * Mirrors reject_tg → nf_send_reset / nf_send_unreach. HOT only for rejected packets.
 */
export function rejectTarget(dp: Datapath, p: Pkt, withCode: number): number {
  if (withCode === RejectWith.TCP_RESET) nfSendReset(dp, p);
  else if (withCode === RejectWith.ICMP_ECHOREPLY) {
    // `--reject-with icmp-echo-reply` answers echo requests only; nothing else is sent
  } else {
    const code = UNREACH_CODE[withCode];
    if (code !== undefined) nfSendUnreach(dp, p, code);
  }
  return Verdict.DROP;
}

/** nf_send_unreach: ICMP destination unreachable (PRE_ROUTING packets get a route to the sender first). */
function nfSendUnreach(dp: Datapath, p: Pkt, code: number): void {
  const m = p.meta;
  if (m.fragOffset !== 0) return;
  if ((m.csum & Csum.L4_BAD) !== 0 && (m.ipProto === IpProto.TCP || m.ipProto === IpProto.UDP)) return;
  // nf_reject_fill_skb_dst: a route back to the sender, from a flow with nothing but its address
  if (p.hook === Hook.PRE_ROUTING) {
    const k = outputKey(p, m.saddr);
    k.mark = 0;
    if (routeOutput(dp, p, m.saddr, k) < 0) return;
  }
  icmpSend(dp, p, ICMP_DEST_UNREACH, code, 0);
}

/** nf_send_reset. */
function nfSendReset(dp: Datapath, p: Pkt): void {
  if (!resettable(p)) return;
  const m = p.meta;
  if (p.rtKind === RtKind.BROADCAST || p.rtKind === RtKind.MULTICAST) return;
  const q = replyPkt(dp, p);
  // TTL: the hop limit of the original packet's route (the default TTL here)
  const len = buildTcpReset(q.buf, HEADROOM, m, 0, dp.host.sysctls.ipDefaultTtl, 0);
  q.bindView();
  decodeIpv4Packet(q.meta, q.buf, HEADROOM, len, dp.counters, Verify.NONE);
  q.mark = replyMark(dp, p);
  if (p.ct !== NONE) {
    dp.ct.attachReverse(q, p);
    dp.ct.setTcpClose(p.ct, p);
  }
  dp.sink.event(DatapathEvent.ANSWER, q, 256, 0, 'REJECT tcp-reset');
  if (p.nfBridge === 1 && p.physIn !== NONE) {
    // bridged: sent straight out of the input port with the addresses swapped, no hooks
    q.srcMacHi = p.dstMacHi;
    q.srcMacLo = p.dstMacLo;
    q.dstMacHi = p.srcMacHi;
    q.dstMacLo = p.srcMacLo;
    txFrame(dp, q, p.physIn);
    dp.releaseCtRef(q);
    dp.pool.put(q);
    return;
  }
  // ip_route_me_harder on the RST: from the address the segment was sent to, with the reply mark
  if (routeOutput(dp, q, m.saddr, replyKey(q, m, 0)) < 0) {
    dp.releaseCtRef(q);
    dp.pool.put(q);
    return;
  }
  ipLocalOut(dp, q);
}

/** tcp_v4_send_reset for a segment to a local port nobody listens on. */
export function tcpSendReset(dp: Datapath, p: Pkt): void {
  if (!resettable(p) || p.rtKind !== RtKind.LOCAL) return;
  const m = p.meta;
  const q = replyPkt(dp, p);
  const len = buildTcpReset(q.buf, HEADROOM, m, m.ipTos & ~3, dp.host.sysctls.ipDefaultTtl, 0);
  q.bindView();
  decodeIpv4Packet(q.meta, q.buf, HEADROOM, len, dp.counters, Verify.NONE);
  // ip_send_unicast_reply: IP4_REPLY_MARK, else the control socket's mark (0)
  q.mark = replyMark(dp, p);
  if (routeOutput(dp, q, m.saddr, replyKey(q, m, m.ipTos & ~3)) < 0) {
    dp.pool.put(q);
    return;
  }
  q.pktType = PktType.OUTGOING;
  q.sock = SockKind.KERNEL; // the per-netns TCP control socket
  dp.sink.event(DatapathEvent.ANSWER, q, 256, 0, 'closed port');
  ipLocalOut(dp, q);
}

/** The flow of a TCP reset answering the segment `m`: its addresses and ports swapped, with `tos`. */
function replyKey(q: Pkt, m: PacketMeta, tos: number): RouteKey {
  const k = outputKey(q, m.saddr);
  k.saddr = m.daddr;
  k.tos = tos;
  k.proto = IpProto.TCP;
  k.sport = m.dport;
  k.dport = m.sport;
  return k;
}

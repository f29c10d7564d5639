// ICMP messages the host's stack sends: icmp_send (errors: destination unreachable, time exceeded ...)
// with its refusals (not for other hosts' frames, broadcasts, non-first fragments, errors about errors),
// source address choice, TOS, the 576-byte limit and rate limiting; and icmp_reply for echo and timestamp.
// Errors are attached to the offending packet's conntrack entry (nf_ct_attach) before ip_local_out.

import { IpProto } from '../../decode/meta.js';
import { decodeIpv4Packet } from '../../decode/ipv4.js';
import { Verify } from '../../decode/verify.js';
import { NONE, SockKind } from '../skb.js';
import type { Datapath } from './datapath.js';
import type { Pkt } from './pkt.js';
import { HEADROOM, PktType, RtKind } from './pkt.js';
import { buildEchoReply, buildIcmpError, buildTimestampReply } from './build.js';
import { outputKey, routeOutput } from './route.js';
import { ipLocalOut } from './ip-output.js';
import { DatapathEvent } from './sink.js';

/** icmp_pointers[type].error for the types the kernel knows (0..18): which are error messages. */
const ICMP_ECHOREPLY = 0;
const ICMP_TIMESTAMPREPLY = 14;
const ICMP_IS_ERROR = [false, false, false, true, true, true, false, false, false, false, false, true, true, false, false, false, false, false, false];
const IPTOS_PREC_INTERNETCONTROL = 0xc0;
const IPTOS_TOS_MASK = 0x1e;

function isError(type: number): boolean {
  return type > 18 || ICMP_IS_ERROR[type] === true;
}

/** A fresh kernel packet that belongs to the same event as `orig`. */
function newReply(dp: Datapath, orig: Pkt): Pkt {
  const q = dp.pool.derived(orig, orig.nowNs, orig.finishNs);
  q.generated = 1;
  q.sock = SockKind.KERNEL; // icmp_sk
  return q;
}

/** IP4_REPLY_MARK: what the host answers with carries the answered packet's mark only with fwmark_reflect. */
export function replyMark(dp: Datapath, orig: Pkt): number {
  return dp.host.sysctls.fwmarkReflect !== 0 ? orig.mark : 0;
}

/** Pseudo IP ident for packets without DF (the kernel's ip_idents hash is not reproducible). */
export function randomIpId(dp: Datapath): number {
  return dp.prng.u16();
}

/**
 * icmp_send(orig, type, code, info). `orig` is the offending packet as the current hook sees it; it is not
 * consumed. Returns true when a message was sent.
 */
export function icmpSend(dp: Datapath, orig: Pkt, type: number, code: number, info: number): boolean {
  const m = orig.meta;
  if (orig.rtKind === RtKind.NONE) return false;
  if (orig.pktType !== PktType.HOST && orig.pktType !== PktType.OUTGOING && orig.pktType !== PktType.LOOPBACK) return false;
  if (orig.rtKind === RtKind.BROADCAST || orig.rtKind === RtKind.MULTICAST) return false;
  if (m.fragOffset !== 0) return false;
  if (isError(type) && m.ipProto === IpProto.ICMP) {
    if (m.l4Off < 0 || isError(m.icmpType)) return false;
  }
  const now = orig.nowNs;
  const inLoopback = orig.iif === dp.lo && dp.lo >= 0;
  let apply = 1;
  if (!inLoopback) {
    apply = dp.icmpLimit.globalAllow(type, code, now);
    if (apply === 0) return false;
  }
  // source: the offending packet's destination when it was for us, else what routing back picks
  let saddr = 0;
  if (orig.rtKind === RtKind.LOCAL) saddr = m.daddr;
  else if (dp.host.sysctls.icmpErrorsUseInboundIfaddr === 1 && orig.rtInput === 1 && orig.iif >= 0)
    saddr = dp.host.selectAddr(orig.iif, m.saddr, 253);
  const tos = isError(type) ? (m.ipTos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL : m.ipTos;

  const q = newReply(dp, orig);
  q.mark = replyMark(dp, orig);
  // icmp_route_lookup's flow: ICMP with the type and code where the ports would be (flowi_uli overlays dport)
  const k = outputKey(q, m.saddr);
  k.saddr = saddr;
  k.tos = tos;
  k.proto = IpProto.ICMP;
  k.dport = (type << 8) | code;
  const routeSrc = routeOutput(dp, q, m.saddr, k);
  if (routeSrc < 0) {
    dp.pool.put(q);
    return false;
  }
  if (saddr === 0) saddr = routeSrc;
  if (saddr === 0) saddr = 0xc0000008; // INADDR_DUMMY 192.0.0.8
  if (apply === 2 && !dp.icmpLimit.peerAllow(m.saddr, q.rtDev === dp.lo, now)) {
    dp.pool.put(q);
    return false;
  }
  // RFC 1812: as much of the offending packet as fits in 576 bytes (or the route MTU)
  const room = Math.min(q.rtMtu, 576) - 20 - 8;
  if (room <= 20) {
    dp.pool.put(q);
    return false;
  }
  const dataLen = Math.max(0, Math.min(m.ipTotalLen, room));
  const len = buildIcmpError(q.buf, HEADROOM, type, code, info, orig.buf, m.l3Off, dataLen, saddr, m.saddr, tos, dp.host.sysctls.ipDefaultTtl, randomIpId(dp));
  q.bindView();
  decodeIpv4Packet(q.meta, q.buf, HEADROOM, len, dp.counters, Verify.NONE);
  if (isError(type) && orig.ct !== NONE) dp.ct.attachReverse(q, orig);
  dp.sink.event(DatapathEvent.ANSWER, q, type, code, '');
  ipLocalOut(dp, q);
  return true;
}

/**
 * icmp_echo → icmp_reply: answer an echo request addressed to us (not for broadcasts: the default
 * icmp_echo_ignore_broadcasts = 1). The reply leaves from the address the request was sent to.
 */
export function icmpEcho(dp: Datapath, req: Pkt): void {
  if (dp.host.sysctls.icmpEchoIgnoreAll === 1) return;
  icmpReply(dp, req, ICMP_ECHOREPLY);
}

/**
 * icmp_timestamp → icmp_reply: a timestamp request with at least its originate timestamp (4 bytes after
 * the header) is answered with type 14 carrying it, and the receive and transmit timestamps: the time of
 * processing in ms since midnight UT (inet_current_timestamp), here the request's time on the capture's clock.
 */
export function icmpTimestamp(dp: Datapath, req: Pkt): void {
  const m = req.meta;
  // skb->len < 4 after the header: too short (and the capture must hold what is copied)
  if (m.ipTotalLen - m.ipHdrLen < 8 + 4 || m.l4Off + 12 > m.frameOff + m.caplen) return;
  icmpReply(dp, req, ICMP_TIMESTAMPREPLY);
}

/** icmp_reply: answer `req` (unicast to us) with `type`, from the address it was sent to, with its TOS. */
function icmpReply(dp: Datapath, req: Pkt, type: number): void {
  const m = req.meta;
  if (req.rtKind !== RtKind.LOCAL) return;
  const q = newReply(dp, req);
  q.mark = replyMark(dp, req);
  const k = outputKey(q, m.saddr);
  k.saddr = m.daddr;
  k.tos = m.ipTos;
  k.proto = IpProto.ICMP;
  if (routeOutput(dp, q, m.saddr, k) < 0) {
    dp.pool.put(q);
    return;
  }
  const ttl = dp.host.sysctls.ipDefaultTtl;
  const len =
    type === ICMP_ECHOREPLY
      ? buildEchoReply(q.buf, HEADROOM, m, m.daddr, ttl, randomIpId(dp))
      : buildTimestampReply(q.buf, HEADROOM, m, m.daddr, ttl, randomIpId(dp), msSinceMidnightUt(dp, req.nowNs));
  q.bindView();
  decodeIpv4Packet(q.meta, q.buf, HEADROOM, len, dp.counters, Verify.NONE);
  dp.sink.event(DatapathEvent.ANSWER, q, type, 0, '');
  ipLocalOut(dp, q);
}

/** inet_current_timestamp at virtual time `nowNs`: ms since midnight UT on the capture's clock. */
function msSinceMidnightUt(dp: Datapath, nowNs: number): number {
  const c = dp.clock;
  const ns = (c.baseSec % 86400) * 1e9 + c.baseNsec + nowNs;
  return Math.floor(ns / 1e6) % 86400000;
}

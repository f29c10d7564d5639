// The UDP, UDP-Lite, GRE and generic trackers: udp_error + nf_conntrack_udp_packet (6.x: 30 s unreplied,
// refreshed with 30 s while younger than 2 s, then 120 s and ASSURED), udplite_packet, gre_packet (30 s /
// 180 s, no PPTP helper) and generic_packet (600 s) of nf_conntrack_proto_{udp,gre}.c and _core.c.

import type { PacketMeta } from '../../decode/meta.js';
import { Csum, IpProto } from '../../decode/meta.js';
import { be16 } from '../../util/bytes.js';
import { CtStatus, Hook } from '../skb.js';
import type { Skb } from '../skb.js';
import { V_STATUS, V_STRIDE, VF_STREAM_TS, VF_STRIDE } from './layout.js';
import { captured } from './packet-tuple.js';
import type { TrackerHost } from './tracker.js';
import { TrackRet } from './tracker.js';

const STREAM_AFTER_NS = 2e9;

/** udp_error: short or malformed header, or a bad checksum at PRE_ROUTING (checksum 0 means none). HOT. */
export function udpError(m: PacketMeta, hook: number, checksum: boolean): boolean {
  if (m.l4Off < 0 || m.l4Len < 8 || !captured(m, m.l4Off, 8)) return true; // short packet
  const len = be16(m.data, m.l4Off + 4);
  if (len > m.l4Len || len < 8) return true; // truncated/malformed
  if (be16(m.data, m.l4Off + 6) === 0) return false; // no checksum
  return checksum && hook === Hook.PRE_ROUTING && (m.csum & Csum.L4_BAD) !== 0;
}

/** udplite_error: coverage 0 means the whole datagram; a checksum is mandatory. HOT. */
function udpliteError(m: PacketMeta, hook: number, checksum: boolean): boolean {
  if (m.l4Off < 0 || m.l4Len < 8 || !captured(m, m.l4Off, 8)) return true;
  const cscov = be16(m.data, m.l4Off + 4);
  if (cscov !== 0 && (cscov < 8 || cscov > m.l4Len)) return true;
  if (be16(m.data, m.l4Off + 6) === 0) return true;
  return checksum && hook === Hook.PRE_ROUTING && (m.csum & Csum.L4_BAD) !== 0;
}

/** nf_conntrack_udp_packet / nf_conntrack_udplite_packet. HOT. */
export function udpPacket(h: TrackerHost, ct: number, slot: number, skb: Skb, dir: number, hook: number): number {
  const m = skb.meta;
  const lite = m.ipProto === IpProto.UDPLITE;
  if (lite ? udpliteError(m, hook, h.cfg.checksum) : udpError(m, hook, h.cfg.checksum)) return TrackRet.INVALID;
  const V = h.V;
  const vb = slot * V_STRIDE;
  const status = V[vb + V_STATUS]!;
  const now = skb.nowNs;
  if (!h.isConfirmed(ct)) h.VF[slot * VF_STRIDE + VF_STREAM_TS] = now + STREAM_AFTER_NS;
  if ((status & CtStatus.SEEN_REPLY) !== 0) {
    let extra = lite ? h.cfg.udpStreamNs : h.cfg.udpNs;
    let stream = lite;
    // still active after two seconds: a stream
    if (!lite && now > h.VF[slot * VF_STRIDE + VF_STREAM_TS]!) {
      extra = h.cfg.udpStreamNs;
      stream = (status & CtStatus.ASSURED) === 0;
    }
    h.refreshAcct(ct, slot, dir, skb, extra);
    // never ASSURED for IPS_NAT_CLASH entries: they time out soon
    if ((status & CtStatus.NAT_CLASH) !== 0) return TrackRet.ACCEPT;
    if (stream) V[vb + V_STATUS] = V[vb + V_STATUS]! | CtStatus.ASSURED;
  } else {
    h.refreshAcct(ct, slot, dir, skb, h.cfg.udpNs);
  }
  return TrackRet.ACCEPT;
}

/** gre_packet (no helper: unreplied 30 s, replied 180 s and ASSURED). HOT. */
export function grePacket(h: TrackerHost, ct: number, slot: number, skb: Skb, dir: number): number {
  const status = h.V[slot * V_STRIDE + V_STATUS]!;
  if ((status & CtStatus.SEEN_REPLY) !== 0) {
    h.refreshAcct(ct, slot, dir, skb, h.cfg.greStreamNs);
    if ((status & CtStatus.NAT_CLASH) !== 0) return TrackRet.ACCEPT;
    h.V[slot * V_STRIDE + V_STATUS] = h.V[slot * V_STRIDE + V_STATUS]! | CtStatus.ASSURED;
  } else {
    h.refreshAcct(ct, slot, dir, skb, h.cfg.greNs);
  }
  return TrackRet.ACCEPT;
}

/** generic_packet: any other protocol, one timeout. HOT. */
export function genericPacket(h: TrackerHost, ct: number, slot: number, skb: Skb, dir: number): number {
  h.refreshAcct(ct, slot, dir, skb, h.cfg.genericNs);
  return TrackRet.ACCEPT;
}

/** l4proto->allow_clash: UDP, UDP-Lite, GRE and the generic tracker; not TCP, ICMP (or SCTP/DCCP). */
export function allowClash(proto: number): boolean {
  return proto !== IpProto.TCP && proto !== IpProto.ICMP && proto !== IpProto.SCTP && proto !== 33;
}

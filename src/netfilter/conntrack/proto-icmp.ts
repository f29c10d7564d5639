// The ICMP tracker (nf_conntrack_proto_icmp.c): nf_conntrack_icmp_packet (only request types may create an
// entry; 30 s) and the first half of nf_conntrack_icmpv4_error / nf_conntrack_inet_error: validating an
// ICMP packet and building the inverted tuple of the header quoted by an error (from PacketMeta's inner
// fields), which the core then looks up to attach the error as RELATED.

import type { PacketMeta } from '../../decode/meta.js';
import { Csum, IpProto } from '../../decode/meta.js';
import { Hook } from '../skb.js';
import type { Skb } from '../skb.js';
import { R_ODPORT, R_STRIDE } from './layout.js';
import { captured } from './packet-tuple.js';
import type { TrackerHost } from './tracker.js';
import { TrackRet } from './tracker.js';
import type { Tuple } from './tuple.js';
import { invertTuple } from './tuple.js';

/** Types that may start an ICMP "connection" (valid_new): echo, timestamp, info and address requests. */
function validNew(type: number): boolean {
  return type === 8 || type === 13 || type === 15 || type === 17;
}

/** icmp_is_err: destination unreachable, source quench, redirect, time exceeded, parameter problem. */
export function icmpIsError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** nf_conntrack_icmp_packet. `R` is the record array (the ORIGINAL tuple's type decides). HOT. */
export function icmpPacket(h: TrackerHost, R: Int32Array, ct: number, slot: number, skb: Skb, dir: number): number {
  if (!validNew(R[ct * R_STRIDE + R_ODPORT]! >>> 8)) return TrackRet.INVALID;
  h.refreshAcct(ct, slot, dir, skb, h.cfg.icmpNs);
  return TrackRet.ACCEPT;
}

/** Outcome of icmpErrorTuple. */
export const IcmpErr = {
  /** Not an error message: track it as a normal ICMP packet. */
  NOT_ERROR: 0,
  /** Malformed, bad checksum, unknown type or untrackable quote: error++, no entry. */
  BAD: 1,
  /** `out` holds the tuple to look up (the inverted quoted tuple). */
  LOOKUP: 2,
} as const;

/**
 * nf_conntrack_icmpv4_error up to the lookup: checks the ICMP header, the checksum at PRE_ROUTING, the type,
 * and for error types builds in `out` the inverse of the quoted packet's tuple. HOT.
 */
export function icmpErrorTuple(m: PacketMeta, hook: number, checksum: boolean, out: Tuple): number {
  if (m.l4Len < 8 || m.l4Off < 0) return IcmpErr.BAD; // short packet
  if (checksum && hook === Hook.PRE_ROUTING && (m.csum & Csum.L4_BAD) !== 0) return IcmpErr.BAD;
  const type = m.icmpType;
  if (type > 18) return IcmpErr.BAD; // NR_ICMP_TYPES: anything above is a mystery
  if (!icmpIsError(type)) return IcmpErr.NOT_ERROR;

  // nf_ct_get_tuplepr on the quoted header (ipv4_get_l4proto + nf_ct_get_tuple)
  const io = m.innerL3Off;
  if (io < 0 || !captured(m, io, 20)) return IcmpErr.BAD;
  if ((((m.data[io + 6]! << 8) | m.data[io + 7]!) & 0x1fff) !== 0) return IcmpErr.BAD; // quoted fragment
  const proto = m.innerProto;
  let sport = 0;
  let dport = 0;
  if (proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.UDPLITE || proto === IpProto.SCTP) {
    if (m.innerL4Off < 0 || m.innerL4Avail < 4) return IcmpErr.BAD;
    sport = m.innerSport;
    dport = m.innerDport;
  } else if (proto === IpProto.ICMP) {
    if (m.innerL4Off < 0 || m.innerL4Avail < 8) return IcmpErr.BAD;
    sport = m.innerSport;
    dport = m.innerDport;
  } else if (proto === IpProto.GRE) {
    if (m.innerL4Off < 0 || m.innerL4Avail < 4) return IcmpErr.BAD;
  }
  out.set(m.innerSaddr, m.innerDaddr, sport, dport, proto);
  // "Ordinarily, we'd expect the inverted tupleproto, but it's been preserved inside the ICMP."
  if (!invertTuple(out, out)) return IcmpErr.BAD;
  return IcmpErr.LOOKUP;
}

// Per-packet NAT at the NAT hooks, mirroring nf_nat_packet / nf_nat_manip_pkt (nf_nat_core.c,
// nf_nat_proto.c) and nf_nat_icmp_reply_translation (nf_nat_proto.c): the status bits and the packet's
// direction decide the rewrite; bytes are changed in place with incremental checksums and PacketMeta is
// updated so that later matches see the new header values.

import { Csum, IpProto, L3 } from '../../decode/meta.js';
import { be16, putBe16 } from '../../util/bytes.js';
import { csumPartial, csumVerifies, l4Checksum } from '../../wire/checksum.js';
import { Tuple } from '../conntrack/tuple.js';
import type { Skb } from '../skb.js';
import { CtDir, CtInfo, CtStatus, NONE, Verdict } from '../skb.js';
import type { NatConntrack } from './ct-ops.js';
import { Ipv4Manip } from './manip-pkt.js';
import { Manip, hookToManip } from './range.js';
import { invertInto } from './unique-tuple.js';

const IPS_NAT_MASK = CtStatus.SRC_NAT | CtStatus.DST_NAT;
const IPS_NAT_DONE_MASK = CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE;
const ICMP_REDIRECT = 5;
/** sizeof(struct icmphdr) + sizeof(struct iphdr): what the translation needs writable. */
const ICMP_INSIDE = 8 + 20;

/** Counters of per-packet NAT work (reports and tests only). */
export class NatPacketStats {
  /** Packets rewritten by nf_nat_packet, and ICMP errors translated. */
  rewritten = 0;
  icmpTranslated = 0;
  /** Packets the kernel would drop here (header not writable, bad ICMP checksum, bad redirect). */
  dropped = 0;
}

/** nf_nat_packet and ICMP error translation. One instance per executor (holds scratch tuples). */
export class NatPacket {
  readonly stats = new NatPacketStats();
  private readonly ct: NatConntrack;
  private readonly manip = new Ipv4Manip();
  private readonly other = new Tuple();
  private readonly target = new Tuple();
  private readonly own = new Tuple();

  constructor(ct: NatConntrack) {
    this.ct = ct;
  }

  /**
   * nf_nat_packet(ct, ctinfo, hooknum, skb): original direction rewrites DST at PRE_ROUTING/LOCAL_OUT and
   * SRC at POST_ROUTING/LOCAL_IN when IPS_DST_NAT / IPS_SRC_NAT is set; the reply direction is swapped.
   * Returns Verdict.ACCEPT or Verdict.DROP. HOT: no allocation.
   */
  packet(skb: Skb, hook: number): number {
    const ctIdx = skb.ct;
    if (ctIdx === NONE) return Verdict.ACCEPT;
    const manip = hookToManip(hook);
    const dir = skb.ctInfo >= CtInfo.ESTABLISHED_REPLY ? CtDir.REPLY : CtDir.ORIGINAL;
    let statusbit = manip === Manip.SRC ? CtStatus.SRC_NAT : CtStatus.DST_NAT;
    if (dir === CtDir.REPLY) statusbit ^= IPS_NAT_MASK;
    if ((this.ct.status(ctIdx, skb) & statusbit) === 0) return Verdict.ACCEPT;
    return this.manipPkt(skb, ctIdx, manip, dir);
  }

  /**
   * nf_nat_manip_pkt: make the packet look like the inverse of the other direction's tuple. A non-first
   * fragment (no L4 header) only gets its address rewritten. HOT.
   */
  manipPkt(skb: Skb, ctIdx: number, manip: number, dir: number): number {
    const m = skb.meta;
    if (m.l3 !== L3.IPV4 || m.l3Off < 0) return Verdict.ACCEPT;
    this.ct.getTuple(ctIdx, dir === CtDir.ORIGINAL ? CtDir.REPLY : CtDir.ORIGINAL, this.other);
    const target = this.target;
    invertInto(this.other, target);
    const iph = m.l3Off;
    const end = iph + m.ipTotalLen;
    const capEnd = m.frameOff + m.caplen;
    const mp = this.manip;
    mp.guessKey = capEnd < end ? this.ownKey(ctIdx, dir, manip, target.proto, false) : -1;
    mp.partial = (m.csum & Csum.L4_PARTIAL) !== 0;
    const ok = mp.ipv4(m.data, iph, end, capEnd, m.fragOffset === 0, target, manip);
    mp.partial = false;
    if (!ok) {
      this.stats.dropped++;
      return Verdict.DROP;
    }
    const r = mp.res;
    m.ipCsum = r.ipCsum;
    if (manip === Manip.SRC) m.saddr = target.src;
    else m.daddr = target.dst;
    if (r.keySet !== 0) {
      if (target.proto === IpProto.ICMP) m.icmpId = r.key;
      else if (manip === Manip.SRC) m.sport = r.key;
      else m.dport = r.key;
    }
    if (r.l4CsumSet !== 0) m.l4Csum = r.l4Csum;
    this.stats.rewritten++;
    return Verdict.ACCEPT;
  }

  /**
   * nf_nat_icmp_reply_translation for an ICMP error attached RELATED / RELATED_REPLY to an entry: rewrite
   * the quoted header (inverse manip, from the other direction's tuple), recompute the whole ICMP
   * checksum, then NAT the outer header. Returns Verdict.DROP where the kernel returns 0. HOT.
   */
  icmpReplyTranslation(skb: Skb, hook: number): number {
    const ctIdx = skb.ct;
    if (ctIdx === NONE) return Verdict.ACCEPT;
    const m = skb.meta;
    if (m.l3 !== L3.IPV4 || m.l3Off < 0) return Verdict.ACCEPT;
    const b = m.data;
    const iph = m.l3Off;
    const hdrlen = m.ipHdrLen;
    const icmp = iph + hdrlen;
    const end = iph + m.ipTotalLen;
    const capEnd = m.frameOff + m.caplen;
    const dir = skb.ctInfo >= CtInfo.ESTABLISHED_REPLY ? CtDir.REPLY : CtDir.ORIGINAL;
    const manip = hookToManip(hook);

    // skb_ensure_writable(skb, hdrlen + sizeof(*inside)) and nf_ip_checksum(skb, hook, hdrlen, ICMP)
    if (icmp + ICMP_INSIDE > end || icmp + ICMP_INSIDE > capEnd) return this.drop();
    const icmpLen = end - icmp;
    const whole = end <= capEnd;
    if (whole && !csumVerifies(b, icmp, icmpLen, 0)) return this.drop();

    const status = this.ct.status(ctIdx, skb);
    if (b[icmp] === ICMP_REDIRECT) {
      if ((status & IPS_NAT_DONE_MASK) !== IPS_NAT_DONE_MASK) return this.drop();
      if ((status & IPS_NAT_MASK) !== 0) return this.drop();
    }
    let statusbit = manip === Manip.SRC ? CtStatus.SRC_NAT : CtStatus.DST_NAT;
    if (dir === CtDir.REPLY) statusbit ^= IPS_NAT_MASK;
    if ((status & statusbit) === 0) return Verdict.ACCEPT;

    // Inner header: manip the other way round, towards the other direction's tuple (not inverted).
    const other = this.other;
    this.ct.getTuple(ctIdx, dir === CtDir.ORIGINAL ? CtDir.REPLY : CtDir.ORIGINAL, other);
    const inner = icmp + 8;
    const innerManip = manip === Manip.SRC ? Manip.DST : Manip.SRC;
    // The kernel sums the whole message afterwards; when the capture is cut short we can only adjust the
    // stored checksum by the change of the bytes we rewrite (identical whenever the input was correct).
    const spanEnd = whole ? end : capEnd;
    const before = whole ? 0 : csumPartial(b, inner, spanEnd - inner, 0);
    const mp = this.manip;
    mp.guessKey = whole ? -1 : this.ownKey(ctIdx, dir, innerManip, other.proto, true);
    if (!mp.ipv4(b, inner, end, capEnd, innerFirstFragment(b, inner), other, innerManip)) return this.drop();
    const r = mp.res;
    if (innerManip === Manip.SRC) m.innerSaddr = other.src;
    else m.innerDaddr = other.dst;
    if (r.keySet !== 0) {
      if (other.proto === IpProto.ICMP || innerManip === Manip.SRC) m.innerSport = r.key;
      else m.innerDport = r.key;
    }
    let csum: number;
    if (whole) {
      csum = l4Checksum(b, icmp, icmpLen, 2, 0);
    } else {
      const after = csumPartial(b, inner, spanEnd - inner, r.lostNew);
      csum = csumAdjust(be16(b, icmp + 2), before + r.lostOld, after);
    }
    putBe16(b, icmp + 2, csum);
    m.l4Csum = csum;

    // Outer header: look like the reply to an incoming packet (ICMP errors carry no id to rewrite).
    const target = this.target;
    invertInto(other, target);
    target.proto = IpProto.ICMP;
    mp.guessKey = -1;
    if (!mp.ipv4(b, iph, end, capEnd, true, target, manip)) return this.drop();
    m.ipCsum = mp.res.ipCsum;
    if (manip === Manip.SRC) m.saddr = target.src;
    else m.daddr = target.dst;
    this.stats.icmpTranslated++;
    return Verdict.ACCEPT;
  }

  /**
   * What the manipulated key field of a packet in direction `dir` should hold before the rewrite, from the
   * entry's tuple: the packet itself looks like tuple[dir]; a header quoted in an error travelling in
   * `dir` looks like its inverse. Used only when the capture ends before that field.
   */
  private ownKey(ctIdx: number, dir: number, manip: number, proto: number, quoted: boolean): number {
    const t = this.ct.getTuple(ctIdx, dir, this.own);
    if (proto === IpProto.ICMP) return t.sport;
    if (quoted) return manip === Manip.SRC ? t.dport : t.sport;
    return manip === Manip.SRC ? t.sport : t.dport;
  }

  private drop(): number {
    this.stats.dropped++;
    return Verdict.DROP;
  }
}

/** Is the quoted IPv4 header at `iph` a first fragment (so its L4 header follows)? */
function innerFirstFragment(b: Uint8Array, iph: number): boolean {
  return (be16(b, iph + 6) & 0x1fff) === 0;
}

/**
 * RFC 1624 for a block: the checksum `check` after the bytes it covers changed from one's-complement sum
 * `oldSum` to `newSum` (both unfolded partial sums as csumPartial returns them). HOT.
 */
export function csumAdjust(check: number, oldSum: number, newSum: number): number {
  const o = fold16(oldSum);
  const n = fold16(newSum);
  let s = (~check & 0xffff) + (~o & 0xffff) + n;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function fold16(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}

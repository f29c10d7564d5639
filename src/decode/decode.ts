// decodeFrame: one captured frame → PacketMeta, in one pass and without allocating. Link layers: Ethernet
// with 802.1Q / 802.1ad / 0x9100 tags (up to 3), Linux SLL and SLL2, BSD NULL/LOOP, and raw IP (101, 12,
// 14, 228, 229); then IPv4 (ipv4.ts), IPv6 (ipv6.ts), ARP, or "other". Never throws: bad bytes are events.

import { le32 } from '../util/bytes.js';
import { viewOf } from './view.js';
import { LinkType } from '../capture/types.js';
import { EthOff, ETH_HDR_LEN } from '../wire/ethernet.js';
import { VLAN_TAG_LEN } from '../wire/vlan.js';
import { SllOff, SLL_HDR_LEN, Sll2Off, SLL2_HDR_LEN } from '../wire/sll.js';
import { ArpOff, ARP_HDR_LEN } from '../wire/arp.js';
import { ArpHrd, EtherType, LoopbackAf } from '../wire/constants.js';
import { DecodeEvent } from './events.js';
import { raiseEvent, type DecodeCounters } from './counters.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { countFrame, noNetwork } from './reset.js';
import { Verify } from './verify.js';
import { L3, type PacketMeta } from './meta.js';

export { Verify } from './verify.js';
export { decodeIpv4Packet } from './ipv4.js';

/** VLAN tags unwrapped before VLAN_TOO_MANY_LAYERS (Suricata's VLAN_MAX_LAYERS). */
const MAX_VLAN_TAGS = 3;
/** Bytes of the BSD NULL / LOOP header (the address family). */
const NULL_HDR_LEN = 4;

// Module-local copies of shared constants: V8 folds these into the code; property loads would stay loads.
const LT_ETHERNET = LinkType.ETHERNET;
const LT_RAW = LinkType.RAW;
const LT_RAW_12 = LinkType.RAW_OPENBSD_12;
const LT_RAW_14 = LinkType.RAW_BSDOS_14;
const LT_IPV4 = LinkType.IPV4;
const LT_IPV6 = LinkType.IPV6;
const LT_SLL = LinkType.LINUX_SLL;
const LT_SLL2 = LinkType.LINUX_SLL2;
const LT_NULL = LinkType.NULL;
const LT_LOOP = LinkType.LOOP;
const ETH_DST = EthOff.DST;
const ETH_SRC = EthOff.SRC;
const ETH_TYPE = EthOff.TYPE;
const ET_IPV4 = EtherType.IPV4;
const ET_IPV6 = EtherType.IPV6;
const ET_ARP = EtherType.ARP;
const ET_VLAN = EtherType.VLAN;
const ET_QINQ = EtherType.QINQ;
const ET_QINQ_9100 = EtherType.QINQ_9100;
const ET_MIN_TYPE = EtherType.MIN_TYPE;
const HRD_ETHER = ArpHrd.ETHER;
const HRD_NETLINK = ArpHrd.NETLINK;
const AF_INET = LoopbackAf.INET;
const AF_INET6_BSD = LoopbackAf.INET6_BSD;
const AF_INET6_FREEBSD = LoopbackAf.INET6_FREEBSD;
const AF_INET6_DARWIN = LoopbackAf.INET6_DARWIN;
const L3_NONE = L3.NONE;
const L3_ARP = L3.ARP;
const L3_OTHER = L3.OTHER;
const EV_SNAPPED = DecodeEvent.SNAPPED;
const V_ALL = Verify.ALL;

/**
 * Decode the frame of `caplen` captured bytes at `offset` in `data` (`wirelen` on the wire, link type
 * `linkType`) into `meta`, counting into `counters`. `verify` selects checksum verification (Verify.*;
 * default all). Every PacketMeta field is written. HOT: allocates nothing, never throws.
 */
export function decodeFrame(
  meta: PacketMeta,
  data: Uint8Array,
  offset: number,
  caplen: number,
  wirelen: number,
  linkType: number,
  counters: DecodeCounters,
  verify: number = V_ALL,
): void {
  const dv = viewOf(data);
  // hostile record fields must not lead to reads outside `data`
  let off = offset | 0;
  let cl = caplen | 0;
  let wl = wirelen | 0;
  if (off < 0 || off > data.length) {
    off = 0;
    cl = 0;
  }
  if (cl < 0) cl = 0;
  if (wl < 0) wl = 0;
  // beginFrame(), written out: this function runs for every packet and V8 would not inline the call
  const m = meta;
  m.data = data;
  m.frameOff = off;
  m.caplen = cl;
  m.wirelen = wl;
  m.linkType = linkType;
  m.l2Off = off;
  m.l2Len = 0;
  m.dstMacHi = 0;
  m.dstMacLo = 0;
  m.srcMacHi = 0;
  m.srcMacLo = 0;
  m.etherType = 0;
  m.vlanCount = 0;
  m.vlanOuter = -1;
  m.vlanInner = -1;
  m.pktType = 0;
  m.csum = 0;
  m.event = 0;
  m.eventOffset = -1;
  const capEnd = off + cl <= data.length ? off + cl : data.length;
  const wireEnd = off + (wl > cl ? wl : cl);
  if (linkType === LT_ETHERNET) {
    // Ethernet II, the common case, decoded here rather than in a call
    if (wireEnd - off < ETH_HDR_LEN) linkFailed(m, counters, DecodeEvent.ETH_PKT_TOO_SMALL, off);
    else if (capEnd - off < ETH_HDR_LEN) linkFailed(m, counters, EV_SNAPPED, off);
    else {
      const dhi = dv.getUint16(off + ETH_DST);
      const dlo = dv.getUint32(off + ETH_DST + 2);
      m.dstMacHi = dhi;
      m.dstMacLo = dlo;
      m.srcMacHi = dv.getUint16(off + ETH_SRC);
      m.srcMacLo = dv.getUint32(off + ETH_SRC + 2);
      // pktType from the destination MAC (the capturing host's own MAC is unknown: no "otherhost")
      m.pktType = dhi === 0xffff && dlo === 0xffffffff ? 1 : (dhi & 0x0100) !== 0 ? 2 : 0;
      const type = dv.getUint16(off + ETH_TYPE);
      if (type === ET_IPV4) {
        m.etherType = type;
        m.l2Len = ETH_HDR_LEN;
        decodeIpv4(m, counters, off + ETH_HDR_LEN, capEnd, wireEnd, verify);
      } else decodeEtherPayload(m, counters, type, off + ETH_HDR_LEN, capEnd, wireEnd, verify);
    }
  } else if (linkType === LT_RAW || linkType === LT_RAW_12 || linkType === LT_RAW_14) decodeRawIp(meta, counters, off, capEnd, wireEnd, verify);
  else if (linkType === LT_IPV4) decodeIpv4(m, counters, off, capEnd, wireEnd, verify);
  else if (linkType === LT_IPV6) decodeIpv6(m, counters, off, capEnd, wireEnd, verify);
  else if (linkType === LT_SLL) decodeSll(m, counters, off, capEnd, wireEnd, verify);
  else if (linkType === LT_SLL2) decodeSll2(m, counters, off, capEnd, wireEnd, verify);
  else if (linkType === LT_NULL || linkType === LT_LOOP) decodeNull(m, counters, off, capEnd, wireEnd, verify);
  else linkFailed(m, counters, DecodeEvent.LINKTYPE_UNSUPPORTED, off);
  countFrame(m, counters);
}

/** The link header is unusable: no network layer. HOT. */
function linkFailed(m: PacketMeta, c: DecodeCounters, event: number, at: number): void {
  noNetwork(m, L3_NONE, -1);
  raiseEvent(m, c, event, at);
}

/** What follows an EtherType at `p`: VLAN tags, then the network layer. Sets l2Len and etherType. HOT. */
function decodeEtherPayload(m: PacketMeta, c: DecodeCounters, type: number, p: number, capEnd: number, wireEnd: number, verify: number): void {
  const d = m.data;
  const dv = viewOf(d);
  while (type === ET_VLAN || type === ET_QINQ || type === ET_QINQ_9100) {
    if (m.vlanCount === MAX_VLAN_TAGS) {
      m.l2Len = p - m.l2Off;
      m.etherType = type;
      return linkFailed(m, c, DecodeEvent.VLAN_TOO_MANY_LAYERS, p - 2);
    }
    if (wireEnd - p < VLAN_TAG_LEN) return linkFailed(m, c, DecodeEvent.VLAN_HEADER_TOO_SMALL, p);
    if (capEnd - p < VLAN_TAG_LEN) return linkFailed(m, c, EV_SNAPPED, p);
    const vid = dv.getUint16(p) & 0x0fff;
    if (m.vlanCount === 0) m.vlanOuter = vid;
    else if (m.vlanCount === 1) m.vlanInner = vid;
    m.vlanCount++;
    type = dv.getUint16(p + 2);
    p += VLAN_TAG_LEN;
  }
  m.etherType = type;
  m.l2Len = p - m.l2Off;
  if (type === ET_IPV4) decodeIpv4(m, c, p, capEnd, wireEnd, verify);
  else if (type === ET_IPV6) decodeIpv6(m, c, p, capEnd, wireEnd, verify);
  else if (type === ET_ARP) decodeArp(m, c, p, capEnd, wireEnd);
  else noNetwork(m, L3_OTHER, -1);
}

/** ARP: recognised and length-checked; its fields stay in the frame (wire/arp.ts ArpView reads them). HOT. */
function decodeArp(m: PacketMeta, c: DecodeCounters, p: number, capEnd: number, wireEnd: number): void {
  noNetwork(m, L3_ARP, p);
  if (wireEnd - p < ARP_HDR_LEN) return raiseEvent(m, c, DecodeEvent.ARP_PKT_TOO_SMALL, p);
  if (capEnd - p < ARP_HDR_LEN) return raiseEvent(m, c, EV_SNAPPED, p);
  const need = ARP_HDR_LEN + 2 * m.data[p + ArpOff.HLEN]! + 2 * m.data[p + ArpOff.PLEN]!;
  if (wireEnd - p < need) raiseEvent(m, c, DecodeEvent.ARP_PKT_TOO_SMALL, p);
  else if (capEnd - p < need) raiseEvent(m, c, EV_SNAPPED, p);
}

/** Linux cooked capture v1 (16 bytes). HOT. */
function decodeSll(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  if (wireEnd - off < SLL_HDR_LEN) return linkFailed(m, c, DecodeEvent.SLL_PKT_TOO_SMALL, off);
  if (capEnd - off < SLL_HDR_LEN) return linkFailed(m, c, EV_SNAPPED, off);
  const d = m.data;
  const dv = viewOf(d);
  m.pktType = dv.getUint16(off + SllOff.PKTTYPE);
  const hatype = dv.getUint16(off + SllOff.HATYPE);
  if (hatype === HRD_ETHER && dv.getUint16(off + SllOff.HALEN) === 6) {
    m.srcMacHi = dv.getUint16(off + SllOff.ADDR);
    m.srcMacLo = dv.getUint32(off + SllOff.ADDR + 2);
  }
  const proto = dv.getUint16(off + SllOff.PROTO);
  if (hatype === HRD_NETLINK || proto < ET_MIN_TYPE) {
    // netlink families and the 802.2 / 802.3 / CAN pseudo-protocols are not EtherTypes
    m.l2Len = SLL_HDR_LEN;
    return noNetwork(m, L3_OTHER, -1);
  }
  decodeEtherPayload(m, c, proto, off + SLL_HDR_LEN, capEnd, wireEnd, verify);
}

/** Linux cooked capture v2 (20 bytes, interface index in the header). HOT. */
function decodeSll2(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  if (wireEnd - off < SLL2_HDR_LEN) return linkFailed(m, c, DecodeEvent.SLL2_PKT_TOO_SMALL, off);
  if (capEnd - off < SLL2_HDR_LEN) return linkFailed(m, c, EV_SNAPPED, off);
  const d = m.data;
  const dv = viewOf(d);
  m.pktType = d[off + Sll2Off.PKTTYPE]!;
  const hatype = dv.getUint16(off + Sll2Off.HATYPE);
  if (hatype === HRD_ETHER && d[off + Sll2Off.HALEN] === 6) {
    m.srcMacHi = dv.getUint16(off + Sll2Off.ADDR);
    m.srcMacLo = dv.getUint32(off + Sll2Off.ADDR + 2);
  }
  const proto = dv.getUint16(off + Sll2Off.PROTO);
  if (hatype === HRD_NETLINK || proto < ET_MIN_TYPE) {
    m.l2Len = SLL2_HDR_LEN;
    return noNetwork(m, L3_OTHER, -1);
  }
  decodeEtherPayload(m, c, proto, off + SLL2_HDR_LEN, capEnd, wireEnd, verify);
}

/** BSD NULL / LOOP: a 4-byte address family, accepted in either byte order. HOT. */
function decodeNull(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  const dv = viewOf(m.data);
  if (wireEnd - off < NULL_HDR_LEN) return linkFailed(m, c, DecodeEvent.NULL_PKT_TOO_SMALL, off);
  if (capEnd - off < NULL_HDR_LEN) return linkFailed(m, c, EV_SNAPPED, off);
  m.l2Len = NULL_HDR_LEN;
  const le = le32(m.data, off);
  const be = dv.getUint32(off);
  const p = off + NULL_HDR_LEN;
  if (le === AF_INET || be === AF_INET) decodeIpv4(m, c, p, capEnd, wireEnd, verify);
  else if (isAfInet6(le) || isAfInet6(be)) decodeIpv6(m, c, p, capEnd, wireEnd, verify);
  else noNetwork(m, L3_OTHER, -1);
}

function isAfInet6(af: number): boolean {
  return af === AF_INET6_BSD || af === AF_INET6_FREEBSD || af === AF_INET6_DARWIN;
}

/** Raw IP: the version nibble says IPv4 or IPv6. HOT. */
function decodeRawIp(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  if (capEnd - off < 1) return linkFailed(m, c, wireEnd > off ? EV_SNAPPED : DecodeEvent.RAW_INVALID_IP_VERSION, off);
  const v = m.data[off]! >>> 4;
  if (v === 4) decodeIpv4(m, c, off, capEnd, wireEnd, verify);
  else if (v === 6) decodeIpv6(m, c, off, capEnd, wireEnd, verify);
  else linkFailed(m, c, DecodeEvent.RAW_INVALID_IP_VERSION, off);
}

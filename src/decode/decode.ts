// decodeFrame: one captured frame → PacketMeta, in one pass and without allocating. Link layers: Ethernet
// with 802.1Q / 802.1ad / 0x9100 tags (up to 3), Linux SLL and SLL2, BSD NULL/LOOP, and raw IP (101, 12,
// 14, 228, 229); then IPv4 (ipv4.ts), IPv6 (ipv6.ts), ARP, or "other". Never throws: bad bytes are events.

import { be16, be32, le32 } from '../util/bytes.js';
import { LinkType } from '../capture/types.js';
import { EthOff, ETH_HDR_LEN } from '../wire/ethernet.js';
import { isVlanTpid, VLAN_TAG_LEN } from '../wire/vlan.js';
import { SllOff, SLL_HDR_LEN, Sll2Off, SLL2_HDR_LEN } from '../wire/sll.js';
import { ArpOff, ARP_HDR_LEN } from '../wire/arp.js';
import { ArpHrd, EtherType, LoopbackAf } from '../wire/constants.js';
import { DecodeEvent } from './events.js';
import { raiseEvent, type DecodeCounters } from './counters.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { resetMeta, countFrame } from './reset.js';
import { Verify } from './verify.js';
import { L3, type PacketMeta } from './meta.js';

export { Verify } from './verify.js';
export { decodeIpv4Packet } from './ipv4.js';

/** VLAN tags unwrapped before VLAN_TOO_MANY_LAYERS (Suricata's VLAN_MAX_LAYERS). */
const MAX_VLAN_TAGS = 3;
/** Bytes of the BSD NULL / LOOP header (the address family). */
const NULL_HDR_LEN = 4;

/**
 * Decode the frame of `caplen` captured bytes at `offset` in `data` (`wirelen` on the wire, link type
 * `linkType`) into `meta`, counting into `counters`. `verify` selects checksum verification (Verify.*;
 * default all). Every PacketMeta field is reset first. HOT: allocates nothing, never throws.
 */
export function decodeFrame(
  meta: PacketMeta,
  data: Uint8Array,
  offset: number,
  caplen: number,
  wirelen: number,
  linkType: number,
  counters: DecodeCounters,
  verify: number = Verify.ALL,
): void {
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
  resetMeta(meta, data, off, cl, wl, linkType);
  const capEnd = off + cl <= data.length ? off + cl : data.length;
  const wireEnd = off + (wl > cl ? wl : cl);
  switch (linkType) {
    case LinkType.ETHERNET:
      decodeEthernet(meta, counters, off, capEnd, wireEnd, verify);
      break;
    case LinkType.RAW:
    case LinkType.RAW_OPENBSD_12:
    case LinkType.RAW_BSDOS_14:
      decodeRawIp(meta, counters, off, capEnd, wireEnd, verify);
      break;
    case LinkType.IPV4:
      decodeIpv4(meta, counters, off, capEnd, wireEnd, verify);
      break;
    case LinkType.IPV6:
      decodeIpv6(meta, counters, off, capEnd, wireEnd, verify);
      break;
    case LinkType.LINUX_SLL:
      decodeSll(meta, counters, off, capEnd, wireEnd, verify);
      break;
    case LinkType.LINUX_SLL2:
      decodeSll2(meta, counters, off, capEnd, wireEnd, verify);
      break;
    case LinkType.NULL:
    case LinkType.LOOP:
      decodeNull(meta, counters, off, capEnd, wireEnd, verify);
      break;
    default:
      raiseEvent(meta, counters, DecodeEvent.LINKTYPE_UNSUPPORTED, off);
  }
  countFrame(meta, counters);
}

/** Ethernet II (+ VLAN tags). pktType from the destination MAC (the capturing host's own MAC is unknown). HOT. */
function decodeEthernet(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  if (wireEnd - off < ETH_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.ETH_PKT_TOO_SMALL, off);
    return;
  }
  if (capEnd - off < ETH_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, off);
    return;
  }
  const d = m.data;
  const dhi = be16(d, off + EthOff.DST);
  const dlo = be32(d, off + EthOff.DST + 2);
  m.dstMacHi = dhi;
  m.dstMacLo = dlo;
  m.srcMacHi = be16(d, off + EthOff.SRC);
  m.srcMacLo = be32(d, off + EthOff.SRC + 2);
  m.pktType = dhi === 0xffff && dlo === 0xffffffff ? 1 : (dhi & 0x0100) !== 0 ? 2 : 0;
  decodeEtherPayload(m, c, be16(d, off + EthOff.TYPE), off + ETH_HDR_LEN, capEnd, wireEnd, verify);
}

/** What follows an EtherType at `p`: VLAN tags, then the network layer. Sets l2Len and etherType. HOT. */
function decodeEtherPayload(m: PacketMeta, c: DecodeCounters, type: number, p: number, capEnd: number, wireEnd: number, verify: number): void {
  const d = m.data;
  while (isVlanTpid(type)) {
    if (m.vlanCount === MAX_VLAN_TAGS) {
      raiseEvent(m, c, DecodeEvent.VLAN_TOO_MANY_LAYERS, p - 2);
      m.l2Len = p - m.l2Off;
      m.etherType = type;
      return;
    }
    if (wireEnd - p < VLAN_TAG_LEN) {
      raiseEvent(m, c, DecodeEvent.VLAN_HEADER_TOO_SMALL, p);
      return;
    }
    if (capEnd - p < VLAN_TAG_LEN) {
      raiseEvent(m, c, DecodeEvent.SNAPPED, p);
      return;
    }
    const vid = be16(d, p) & 0x0fff;
    if (m.vlanCount === 0) m.vlanOuter = vid;
    else if (m.vlanCount === 1) m.vlanInner = vid;
    m.vlanCount++;
    type = be16(d, p + 2);
    p += VLAN_TAG_LEN;
  }
  m.etherType = type;
  m.l2Len = p - m.l2Off;
  if (type === EtherType.IPV4) decodeIpv4(m, c, p, capEnd, wireEnd, verify);
  else if (type === EtherType.IPV6) decodeIpv6(m, c, p, capEnd, wireEnd, verify);
  else if (type === EtherType.ARP) decodeArp(m, c, p, capEnd, wireEnd);
  else m.l3 = L3.OTHER;
}

/** ARP: recognised and length-checked; its fields stay in the frame (wire/arp.ts ArpView reads them). HOT. */
function decodeArp(m: PacketMeta, c: DecodeCounters, p: number, capEnd: number, wireEnd: number): void {
  m.l3 = L3.ARP;
  m.l3Off = p;
  if (wireEnd - p < ARP_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.ARP_PKT_TOO_SMALL, p);
    return;
  }
  if (capEnd - p < ARP_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, p);
    return;
  }
  const need = ARP_HDR_LEN + 2 * m.data[p + ArpOff.HLEN]! + 2 * m.data[p + ArpOff.PLEN]!;
  if (wireEnd - p < need) raiseEvent(m, c, DecodeEvent.ARP_PKT_TOO_SMALL, p);
  else if (capEnd - p < need) raiseEvent(m, c, DecodeEvent.SNAPPED, p);
}

/** Linux cooked capture v1 (16 bytes). HOT. */
function decodeSll(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  if (wireEnd - off < SLL_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SLL_PKT_TOO_SMALL, off);
    return;
  }
  if (capEnd - off < SLL_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, off);
    return;
  }
  const d = m.data;
  m.pktType = be16(d, off + SllOff.PKTTYPE);
  const hatype = be16(d, off + SllOff.HATYPE);
  if (hatype === ArpHrd.ETHER && be16(d, off + SllOff.HALEN) === 6) {
    m.srcMacHi = be16(d, off + SllOff.ADDR);
    m.srcMacLo = be32(d, off + SllOff.ADDR + 2);
  }
  const proto = be16(d, off + SllOff.PROTO);
  if (hatype === ArpHrd.NETLINK || proto < EtherType.MIN_TYPE) {
    // netlink families and the 802.2 / 802.3 / CAN pseudo-protocols are not EtherTypes
    m.l2Len = SLL_HDR_LEN;
    m.l3 = L3.OTHER;
    return;
  }
  decodeEtherPayload(m, c, proto, off + SLL_HDR_LEN, capEnd, wireEnd, verify);
}

/** Linux cooked capture v2 (20 bytes, interface index in the header). HOT. */
function decodeSll2(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  if (wireEnd - off < SLL2_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SLL2_PKT_TOO_SMALL, off);
    return;
  }
  if (capEnd - off < SLL2_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, off);
    return;
  }
  const d = m.data;
  m.pktType = d[off + Sll2Off.PKTTYPE]!;
  const hatype = be16(d, off + Sll2Off.HATYPE);
  if (hatype === ArpHrd.ETHER && d[off + Sll2Off.HALEN] === 6) {
    m.srcMacHi = be16(d, off + Sll2Off.ADDR);
    m.srcMacLo = be32(d, off + Sll2Off.ADDR + 2);
  }
  const proto = be16(d, off + Sll2Off.PROTO);
  if (hatype === ArpHrd.NETLINK || proto < EtherType.MIN_TYPE) {
    m.l2Len = SLL2_HDR_LEN;
    m.l3 = L3.OTHER;
    return;
  }
  decodeEtherPayload(m, c, proto, off + SLL2_HDR_LEN, capEnd, wireEnd, verify);
}

/** BSD NULL / LOOP: a 4-byte address family, accepted in either byte order. HOT. */
function decodeNull(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  if (wireEnd - off < NULL_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.NULL_PKT_TOO_SMALL, off);
    return;
  }
  if (capEnd - off < NULL_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, off);
    return;
  }
  m.l2Len = NULL_HDR_LEN;
  const le = le32(m.data, off);
  const be = be32(m.data, off);
  const p = off + NULL_HDR_LEN;
  if (le === LoopbackAf.INET || be === LoopbackAf.INET) decodeIpv4(m, c, p, capEnd, wireEnd, verify);
  else if (isAfInet6(le) || isAfInet6(be)) decodeIpv6(m, c, p, capEnd, wireEnd, verify);
  else m.l3 = L3.OTHER;
}

function isAfInet6(af: number): boolean {
  return af === LoopbackAf.INET6_BSD || af === LoopbackAf.INET6_FREEBSD || af === LoopbackAf.INET6_DARWIN;
}

/** Raw IP: the version nibble says IPv4 or IPv6. HOT. */
function decodeRawIp(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  if (capEnd - off < 1) {
    raiseEvent(m, c, wireEnd > off ? DecodeEvent.SNAPPED : DecodeEvent.RAW_INVALID_IP_VERSION, off);
    return;
  }
  const v = m.data[off]! >>> 4;
  if (v === 4) decodeIpv4(m, c, off, capEnd, wireEnd, verify);
  else if (v === 6) decodeIpv6(m, c, off, capEnd, wireEnd, verify);
  else raiseEvent(m, c, DecodeEvent.RAW_INVALID_IP_VERSION, off);
}

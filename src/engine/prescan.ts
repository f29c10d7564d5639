// A first pass over the captures for what only hindsight tells: which neighbours the host resolved by ARP
// during the capture (those had no cache entry when it started; the others are taken from the snapshot),
// which sockets of its own the host used (it sent from them, other than by forwarding), and what the kernel
// chose where it chose at random (NAT ports, ICMP ids, service endpoints): each received packet is paired with
// the host's next transmission that has the same IP ID and TCP or ICMP sequence or UDP length — its copy,
// however translated — so the choice can be pinned when the replay meets that packet.

import { openCapture } from '../capture/open.js';
import { openCaptureSplit } from '../capture/interface-split.js';
import type { CaptureCursor } from '../capture/types.js';
import { Direction } from '../capture/types.js';
import { decodeFrame, Verify } from '../decode/decode.js';
import { DecodeCounters } from '../decode/counters.js';
import { IpProto, L3, PacketMeta } from '../decode/meta.js';
import { holdsPseudoSum } from '../decode/verify.js';
import type { Host } from '../host/host.js';
import { be16 } from '../util/bytes.js';
import { macKey } from '../util/ipv4.js';
import { hash4 } from '../util/hash.js';
import { IngressMap, Skip } from './ingress.js';
import { TxChecksum } from '../netfilter/path/datapath.js';
import { LearnedNexthops } from '../netfilter/path/multipath.js';
import type { Tuple } from '../netfilter/conntrack/tuple.js';
import type { IngressBindings } from './ingress.js';
import { VxlanHints } from './vxlan-hints.js';

/** Cap on remembered connection-opening packets and pairings (bounded memory on huge captures). */
const MAX_HINTS = 2_000_000;

/** An outbound packet as the kernel sent it: the parts NAT keeps (proto, IP ID, extra) and its tuple. */
export class Seen {
  constructor(
    readonly proto: number,
    readonly ipId: number,
    readonly extra: number,
    readonly saddr: number,
    readonly sport: number,
    readonly daddr: number,
    readonly dport: number,
  ) {}

  same(o: Seen): boolean {
    return this.proto === o.proto && this.ipId === o.ipId && this.extra === o.extra && this.saddr === o.saddr &&
      this.sport === o.sport && this.daddr === o.daddr && this.dport === o.dport;
  }
}

/**
 * Kernel choices seen in the capture. Each received packet is paired with the host's next transmission
 * that has its invariant fields (the translated copy leaves moments after the original arrived), so a packet
 * is found by its own tuple as received, however NAT rewrote both sides. Failing that, an outgoing copy
 * is looked up by its invariant fields and the side NAT left alone.
 */
export class NatHints {
  /** Keyed by the received packet (invariant fields and its whole tuple as received). */
  private readonly byReceived = new Map<number, Seen[]>();
  /** Keyed by the destination as sent (for source NAT choices). */
  private readonly bySrc = new Map<number, Seen[]>();
  /** Keyed by the source as sent (for destination NAT choices). */
  private readonly byDst = new Map<number, Seen[]>();
  size = 0;
  full = false;

  /** Record an outbound packet the host sent. */
  add(m: PacketMeta): void {
    if (this.size >= MAX_HINTS) {
      this.full = true;
      return;
    }
    const extra = extraOf(m);
    if (extra < 0) return;
    const s = new Seen(m.ipProto, m.ipId, extra, m.saddr, portOfSrc(m), m.daddr, portOfDst(m));
    push(this.bySrc, key(s.proto, s.ipId, extra, s.daddr, s.dport), s);
    push(this.byDst, key(s.proto, s.ipId, extra, s.saddr, s.sport), s);
    this.size++;
  }

  /** Record that `received` left the host as the outbound packet `m`. */
  pair(received: Seen, m: PacketMeta): void {
    if (this.size >= MAX_HINTS) {
      this.full = true;
      return;
    }
    push(this.byReceived, receivedKey(received.proto, received.ipId, received.extra, received.saddr, received.sport, received.daddr, received.dport),
      new Seen(m.ipProto, m.ipId, received.extra, m.saddr, portOfSrc(m), m.daddr, portOfDst(m)));
    this.size++;
  }

  /**
   * The source port (or ICMP id) the kernel gave this packet after source NAT, or -1. `received` is the
   * packet's tuple as it arrived (its conntrack ORIGINAL tuple), for the pairing; it may have been
   * rewritten since.
   */
  srcPort(m: PacketMeta, received: Tuple | null): number {
    const s = this.pairedCopy(m, received) ?? find(this.bySrc, m, m.daddr, portOfDst(m), false);
    return s === null ? -1 : s.sport;
  }

  /** The host's outgoing copy of this packet: paired with it as received, else found with its source. */
  sentAs(m: PacketMeta, received: Tuple | null): Seen | null {
    return this.pairedCopy(m, received) ?? find(this.byDst, m, m.saddr, portOfSrc(m), true);
  }

  /**
   * The outgoing copy paired with the received packet `m` was (tuple `r`, else m's own): the last one, the
   * most translated (a bridged DNAT shows the packet on the bridge device before its source NAT on the port).
   */
  private pairedCopy(m: PacketMeta, r: Tuple | null): Seen | null {
    const extra = extraOf(m);
    if (extra < 0) return null;
    // (an ICMP tuple keeps type and code where the pairing keeps the type alone: the packet's own fields then)
    const l = r !== null && m.ipProto !== IpProto.ICMP
      ? this.byReceived.get(receivedKey(m.ipProto, m.ipId, extra, r.src, r.sport, r.dst, r.dport))
      : this.byReceived.get(receivedKey(m.ipProto, m.ipId, extra, m.saddr, portOfSrc(m), m.daddr, portOfDst(m)));
    return l === undefined ? null : l[l.length - 1]!;
  }
}

/**
 * Received packets not yet seen leaving the host, by invariant key, direct-mapped (a newer packet evicts
 * an older one in its slot): a forwarded packet leaves moments after it arrived, so a short memory
 * suffices, in fixed memory and without allocation.
 */
class RecentlyReceived {
  private static readonly SLOTS = 1 << 14;
  /** Per slot: invariant key (0 = empty), proto, IP ID, extra, saddr, sport, daddr, dport. */
  private readonly f = new Int32Array(RecentlyReceived.SLOTS * 8);

  note(m: PacketMeta): void {
    const k = invariantKey(m);
    if (k === null || (k | 0) === 0) return;
    const b = (k & (RecentlyReceived.SLOTS - 1)) * 8;
    const f = this.f;
    f[b] = k | 0;
    f[b + 1] = m.ipProto;
    f[b + 2] = m.ipId;
    f[b + 3] = extraOf(m) | 0;
    f[b + 4] = m.saddr | 0;
    f[b + 5] = portOfSrc(m);
    f[b + 6] = m.daddr | 0;
    f[b + 7] = portOfDst(m);
  }

  /**
   * The received packet the outbound packet `m` is a copy of (same invariant fields), or null. It stays:
   * a bridged packet leaves twice (the bridge device, then the port).
   */
  copyOf(m: PacketMeta): Seen | null {
    const k = invariantKey(m);
    if (k === null || (k | 0) === 0) return null;
    const b = (k & (RecentlyReceived.SLOTS - 1)) * 8;
    const f = this.f;
    if (f[b] !== (k | 0) || f[b + 1] !== m.ipProto || f[b + 2] !== m.ipId || f[b + 3] !== (extraOf(m) | 0)) return null;
    return new Seen(f[b + 1]!, f[b + 2]!, extraOf(m), f[b + 4]! >>> 0, f[b + 5]!, f[b + 6]! >>> 0, f[b + 7]!);
  }
}

function portOfSrc(m: PacketMeta): number {
  return m.ipProto === IpProto.ICMP ? m.icmpId : m.sport;
}
function portOfDst(m: PacketMeta): number {
  return m.ipProto === IpProto.ICMP ? m.icmpType : m.dport;
}

/**
 * What else NAT keeps: the TCP sequence, the ICMP sequence, the UDP header's length (which, unlike the IP
 * payload length, survives fragmentation); -1 when not usable.
 */
function extraOf(m: PacketMeta): number {
  if (m.l4Off < 0 || m.fragOffset !== 0) return -1;
  if (m.ipProto === IpProto.TCP) return m.tcpSeq;
  if (m.ipProto === IpProto.UDP) return m.l4Off + 6 <= m.frameOff + m.caplen ? be16(m.data, m.l4Off + 4) : -1;
  if (m.ipProto === IpProto.ICMP && (m.icmpType === 8 || m.icmpType === 0)) return m.icmpSeq;
  return -1;
}

/**
 * Which outbound packets can carry a NAT choice: those that open a connection — a TCP SYN, the first UDP
 * datagram or ICMP echo of a flow (again after IDLE_SEC of silence: its entry may have expired meanwhile). Flows
 * are remembered direct-mapped by tuple hash (a collision only keeps one hint too many). ICMP errors and
 * the rest belong to existing connections.
 */
/** Seconds of silence after which a UDP or ICMP flow may have lost its entry (below every default timeout). */
const IDLE_SEC = 10;

class OpeningPackets {
  private static readonly SLOTS = 1 << 16;
  private readonly key = new Int32Array(OpeningPackets.SLOTS);
  private readonly lastSec = new Float64Array(OpeningPackets.SLOTS);

  opens(m: PacketMeta, sec: number): boolean {
    if (m.ipProto === IpProto.TCP) return (m.tcpFlags & 0x12) === 0x02;
    if (m.ipProto === IpProto.ICMP && m.icmpType !== 8) return false;
    if (m.ipProto !== IpProto.UDP && m.ipProto !== IpProto.ICMP) return false;
    const k = hash4(m.ipProto, m.saddr, m.daddr, (portOfSrc(m) << 16) | (portOfDst(m) & 0xffff), 0x6f70) | 1;
    const i = k & (OpeningPackets.SLOTS - 1);
    const fresh = this.key[i] !== k || sec - this.lastSec[i]! > IDLE_SEC;
    this.key[i] = k;
    this.lastSec[i] = sec;
    return fresh;
  }
}

/** The part of a packet NAT keeps (protocol, IP ID, extraOf()) as one key; null when not usable. */
function invariantKey(m: PacketMeta): number | null {
  const extra = extraOf(m);
  return extra < 0 ? null : key(m.ipProto, m.ipId, extra, 0, 0);
}

function receivedKey(proto: number, ipId: number, extra: number, saddr: number, sport: number, daddr: number, dport: number): number {
  return hash4(key(proto, ipId, extra, saddr, sport), daddr, dport, 0x7265, 0);
}

function key(proto: number, ipId: number, extra: number, addr: number, port: number): number {
  return hash4(proto, (ipId << 16) | (port & 0xffff), extra, addr, 0);
}

function push(map: Map<number, Seen[]>, k: number, s: Seen): void {
  const l = map.get(k);
  if (l === undefined) map.set(k, [s]);
  else if (!l.some((x) => x.same(s))) l.push(s);
}

/**
 * The outgoing copy with the packet's invariant fields and (addr, port) on the side NAT left alone: its
 * source (`sourceSide`) or its destination.
 */
function find(map: Map<number, Seen[]>, m: PacketMeta, addr: number, port: number, sourceSide: boolean): Seen | null {
  const extra = extraOf(m);
  if (extra < 0) return null;
  const l = map.get(key(m.ipProto, m.ipId, extra, addr, port));
  if (l === undefined) return null;
  for (const s of l) {
    if (s.proto !== m.ipProto || s.ipId !== m.ipId || s.extra !== extra) continue;
    if (sourceSide ? s.saddr === addr && s.sport === port : s.daddr === addr && s.dport === port) return s;
  }
  return null;
}

export interface PrescanResult {
  /** Neighbours whose ARP replies to the host the capture holds. */
  arpResolved: Set<number>;
  hints: NatHints;
  /** (proto, local address, port) the host sent from. */
  localSockets: { proto: number; addr: number; port: number }[];
  /** What the host's VXLAN devices chose for the packets they encapsulated. */
  vxlan: VxlanHints;
  /** Per host device: TxChecksum bits of the TCP and UDP it was seen sending. */
  txChecksums: Uint8Array;
  /** Per host device: MACs of other namespaces' macvlans seen sending through it (their siblings' peers). */
  foreignMacs: Map<number, Set<number>>;
  /** Where the host sent each flow when its FIB has multipath routes (their nexthop choices), else null. */
  nexthops: LearnedNexthops | null;
  records: number;
  /**
   * Per input file: how many per-interface copies it must be read as to be in time order (0 = read once):
   * a multi-interface file whose records go back in time.
   */
  split: number[];
}

/** Open `files` plainly, or with the per-interface split; `origin` maps record file indexes back. */
export function openTimeOrdered(files: string[], split: readonly number[] | null, strict: boolean): { cursor: CaptureCursor; origin: number[] } {
  if (split === null || split.every((n) => n <= 1)) return { cursor: openCapture(files, { strict }), origin: files.map((_, i) => i) };
  return openCaptureSplit(files, split, strict);
}

/**
 * Read the captures once (twice when a file turns out not to be in time order: the second pass reads it
 * per interface, as the replay will).
 */
export function prescan(host: Host, files: string[], bindings: IngressBindings, strict: boolean): PrescanResult {
  const first = prescanPass(host, files, bindings, strict, null);
  if (first.split.every((n) => n <= 1)) return first;
  const second = prescanPass(host, files, bindings, strict, first.split);
  second.split = first.split;
  return second;
}

function prescanPass(host: Host, files: string[], bindings: IngressBindings, strict: boolean, split: number[] | null): PrescanResult {
  const { cursor, origin } = openTimeOrdered(files, split, strict);
  const ingress = new IngressMap(host, origin.map((i) => files[i]!), bindings);
  const lastSec = files.map(() => -1);
  const lastNsec = files.map(() => 0);
  const backwards = files.map(() => false);
  const meta = new PacketMeta();
  const counters = new DecodeCounters();
  const out: PrescanResult = { arpResolved: new Set(), hints: new NatHints(), localSockets: [], records: 0, split: [], vxlan: new VxlanHints(MAX_HINTS), txChecksums: new Uint8Array(host.ifaces.length), foreignMacs: new Map(), nexthops: host.fib.routes.some((r) => r.nexthops !== undefined) ? new LearnedNexthops() : null };
  const vxlanPorts = new Set(host.ifaces.flatMap((i) => (i.vxlan === undefined ? [] : [i.vxlan.port])));
  const socketKeys = new Set<number>();
  const received = new RecentlyReceived();
  const opening = new OpeningPackets();
  const described = new Set<number>();
  try {
    let rec;
    while ((rec = cursor.next()) !== null) {
      out.records++;
      if (!described.has(rec.interfaceId)) {
        for (const ci of cursor.interfaces()) {
          if (described.has(ci.id)) continue;
          described.add(ci.id);
          ingress.describe(ci, files[origin[ci.fileIndex]!] ?? '?');
        }
      }
      const fi = origin[rec.fileIndex]!;
      if (rec.tsSec < lastSec[fi]! || (rec.tsSec === lastSec[fi] && rec.tsNsec < lastNsec[fi]!)) backwards[fi] = true;
      else {
        lastSec[fi] = rec.tsSec;
        lastNsec[fi] = rec.tsNsec;
      }
      decodeFrame(meta, rec.data, rec.offset, rec.caplen, rec.origLen, rec.linkType, counters, Verify.NONE);
      if (rec.direction === Direction.INBOUND && meta.l3 === L3.IPV4) {
        // most records of an `any` capture: all a received IPv4 packet can tell is its invariant fields
        if (ingress.receivedOn(rec) >= 0) received.note(meta);
        continue;
      }
      const dev = ingress.classify(rec, meta);
      if (ingress.lastSkip === Skip.FOREIGN) noteForeign(out.foreignMacs, ingress.lastForeignDev, meta);
      const outbound = dev < 0 && (rec.direction === Direction.OUTBOUND || rec.pktType === 4 || ingress.lastSkip === 1);
      // what a device sent, bridges included (whose copies classify() does not judge): checksum offload evidence
      const sent = outbound || (dev < 0 && rec.direction === Direction.UNKNOWN && ingress.fromHost(meta));
      if (sent && meta.l3 === L3.IPV4 && ingress.lastSkip !== Skip.FOREIGN) noteTxChecksum(out.txChecksums, ingress.lastDev, meta);
      if (meta.l3 === L3.ARP && dev >= 0) noteArp(host, meta, out.arpResolved);
      if (meta.l3 !== L3.IPV4) continue;
      if (dev >= 0) received.note(meta);
      if (!outbound) continue;
      if (vxlanPorts.size > 0 && meta.ipProto === IpProto.UDP && meta.l4Off >= 0 && vxlanPorts.has(meta.dport) && host.fib.isLocal(meta.saddr)) {
        out.vxlan.noteSent(meta.data, meta.l4Off, meta.frameOff + meta.caplen, meta.ipId, meta.daddr);
      }
      const original = received.copyOf(meta);
      // the flow as routing saw it: the source before source NAT, the destination after destination NAT
      if (out.nexthops !== null && ingress.lastSkip === Skip.OUTBOUND && ingress.lastDev >= 0 && out.nexthops.size < MAX_HINTS) {
        out.nexthops.note(original !== null ? original.saddr : meta.saddr, meta.daddr, ingress.lastDev);
      }
      // only a connection's first packet meets a NAT choice: keep hints for those (memory grows with flows)
      if (opening.opens(meta, rec.tsSec)) {
        out.hints.add(meta);
        if (original !== null) out.hints.pair(original, meta);
      }
      // a reset or an ICMP answer proves no socket; a segment or datagram sent from a port does, unless it
      // is a received packet the host forwarded (and source-NATed to its own address)
      const tcpSocket = meta.ipProto === IpProto.TCP && (meta.tcpFlags & 0x04) === 0;
      if ((tcpSocket || meta.ipProto === IpProto.UDP) && meta.l4Off >= 0 && host.fib.isLocal(meta.saddr) && original === null) {
        const k = meta.ipProto * 4294967296 * 65536 + meta.saddr * 65536 + meta.sport;
        if (!socketKeys.has(k)) {
          socketKeys.add(k);
          out.localSockets.push({ proto: meta.ipProto, addr: meta.saddr, port: meta.sport });
        }
      }
    }
    // files that go back in time and have several interfaces are read per interface
    out.split = files.map((_, i) => (backwards[i] ? cursor.interfaces().filter((ci) => origin[ci.fileIndex] === i).length : 0));
  } finally {
    cursor.close();
  }
  return out;
}

/** A frame another namespace's macvlan sent through `dev`: its MAC is a macvlan on that lower device. */
function noteForeign(macs: Map<number, Set<number>>, dev: number, m: PacketMeta): void {
  let s = macs.get(dev);
  if (s === undefined) macs.set(dev, (s = new Set()));
  s.add(macKey(m.srcMacHi, m.srcMacLo));
}

/**
 * A TCP or UDP segment `dev` sent: whether its checksum was left partial tells whether the device offloads
 * checksums. HOT.
 */
function noteTxChecksum(tx: Uint8Array, dev: number, meta: PacketMeta): void {
  if (dev < 0 || dev >= tx.length || tx[dev] === TxChecksum.PARTIAL_SEEN) return;
  if ((meta.ipProto !== IpProto.TCP && meta.ipProto !== IpProto.UDP) || meta.l4Off < 0 || meta.fragOffset !== 0 || meta.moreFrags !== 0) return;
  tx[dev] = holdsPseudoSum(meta) ? TxChecksum.PARTIAL_SEEN : TxChecksum.SENT;
}

/** A received ARP reply addressed to one of the host's addresses: the sender was being resolved. */
function noteArp(host: Host, m: PacketMeta, resolved: Set<number>): void {
  const b = m.data;
  const a = m.l3Off;
  if (a < 0 || a + 28 > m.frameOff + m.caplen) return;
  if (b[a + 4] !== 6 || b[a + 5] !== 4 || ((b[a + 6]! << 8) | b[a + 7]!) !== 2) return;
  const spa = ((b[a + 14]! << 24) | (b[a + 15]! << 16) | (b[a + 16]! << 8) | b[a + 17]!) >>> 0;
  const tpa = ((b[a + 24]! << 24) | (b[a + 25]! << 16) | (b[a + 26]! << 8) | b[a + 27]!) >>> 0;
  if (host.fib.isLocal(tpa)) resolved.add(spa);
}

// Which captured frames enter the host, and where. A frame maps to a host interface by the SLL2 ifindex,
// the pcapng if_name, or an --ingress IFACE=FILE binding. Only frames *received* on ingress points (bridge
// ports, uplinks) are inputs: frames the host sent, and the copies a bridge device or lo shows, are not.
// Without a direction in the capture it is inferred as a bridge would: own MACs send, and a source MAC
// already learned behind another port is a bridged copy going out. Also fills in link addresses the
// capture format lacks (SLL/SLL2 carry no destination MAC; raw IP carries none).

import type { CaptureInterface, CaptureRecord } from '../capture/types.js';
import { Direction, LinkType } from '../capture/types.js';
import type { Host } from '../host/host.js';
import type { HostIface } from '../host/types.js';
import { RouteType } from '../host/types.js';
import type { PacketMeta } from '../decode/meta.js';
import { IpProto, L3 } from '../decode/meta.js';
import { UsageError } from '../util/errors.js';
import { macKey } from '../util/ipv4.js';
import { vxlanPorts } from '../netfilter/path/vxlan.js';
import { PktType } from '../netfilter/path/pkt.js';
import type { Pkt } from '../netfilter/path/pkt.js';

/** Why a record is not replayed. */
export const Skip = { INPUT: 0, OUTBOUND: 1, NOT_INGRESS: 2, UNMAPPED: 3, FOREIGN: 4 } as const;

/** `--ingress IFACE=FILE`: interface name per capture file path. */
export type IngressBindings = ReadonlyMap<string, string>;

export class IngressMap {
  /** Capture interface id → host interface id (-1 unmapped). */
  private readonly byCapIface: number[] = [];
  /** Host interface id + 1 by SLL2 ifindex (0: not looked up yet, -1: no such interface). */
  private readonly byIfindex = new Int32Array(4096);
  /** Per-file binding by file index, -1 when none. */
  private readonly byFile: number[];
  /** MAC → bridge port it was first seen entering (inference of directions), per bridge. */
  private readonly learned = new Map<number, number>();
  /** IPv4 address → MAC seen as its source on a bridge port or in ARP (destination MAC inference). */
  private readonly ipToMac = new Map<number, number>();
  /** Host MAC addresses (own frames are sent, never received). */
  private readonly ownMacs = new Set<number>();
  /** Per device that is no bridge port: the MACs the host sends to there (neighbours on its wire). */
  private readonly wireNeighbours = new Map<number, Set<number>>();
  /** VXLAN devices by UDP port (their datagrams carry frames for the bridges they are ports of). */
  private readonly vxlanPorts: Map<number, HostIface[]>;
  readonly skipped = [0, 0, 0, 0, 0];
  /** Why the last classify() returned -1 (a Skip value), or Skip.INPUT. */
  lastSkip = 0;
  /** The device of the last Skip.FOREIGN frame. */
  lastForeignDev = -1;
  /** The host device of the last classify()'s record, or -1. */
  lastDev = -1;

  constructor(
    private readonly host: Host,
    files: readonly string[],
    bindings: IngressBindings,
  ) {
    this.byFile = files.map(() => -1);
    for (const [path, name] of bindings) {
      if (!files.includes(path)) throw new UsageError(`--ingress ${name}=${path}: ${path} is not one of the capture files`);
      const iface = host.byName(name);
      if (iface === undefined) throw new UsageError(`--ingress ${name}=${path}: the snapshot has no interface "${name}"`);
      // a file read as several per-interface copies appears several times
      files.forEach((f, i) => {
        if (f === path) this.byFile[i] = iface.id;
      });
    }
    for (const i of host.ifaces) this.ownMacs.add(macKey(i.macHi, i.macLo));
    for (const n of host.neighbours) this.wireNeighbour(n.dev, macKey(n.macHi, n.macLo));
    this.vxlanPorts = vxlanPorts(host.ifaces);
  }

  /** Resolve a capture interface once (called for every interface the cursor describes). */
  describe(ci: CaptureInterface, fileName: string): void {
    let id = this.byFile[ci.fileIndex] ?? -1;
    if (id < 0 && ci.name !== null) id = this.host.byName(ci.name)?.id ?? -1;
    this.byCapIface[ci.id] = id;
    if (id < 0 && ci.linkType !== LinkType.LINUX_SLL2) {
      const where = `${fileName} (capture interface ${ci.localId}${ci.name !== null ? ` "${ci.name}"` : ''})`;
      // Linux cooked v1 is what `tcpdump -i any` wrote before 4.99: no interface per packet at all
      const advice = ci.linkType === LinkType.LINUX_SLL
        ? `it is Linux cooked v1 (LINUX_SLL), which does not record the interface of each packet: if it is an ` +
          `"any" capture, capture again with \`tcpdump -i any -y LINUX_SLL2\` or once per interface; if it holds ` +
          `one interface, name it with --ingress IFACE=${fileName}`
        : `name it with --ingress IFACE=${fileName}`;
      throw new UsageError(`cannot tell which host interface ${where} was captured on; ${advice}`);
    }
  }

  /**
   * Host interface id of an input frame, or -1 with the reason counted in `skipped`. Call after decoding
   * `m` from the record; learns addresses as a bridge and neighbours would. HOT.
   */
  classify(rec: CaptureRecord, m: PacketMeta): number {
    const dev = this.deviceOf(rec);
    this.lastDev = dev;
    if (dev < 0) return this.skip(Skip.UNMAPPED);
    const iface = this.host.ifaces[dev]!;
    // bridge and VXLAN devices show copies of what their ports or the underlay received (made by the datapath)
    if (iface.kind === 'bridge' || iface.kind === 'loopback') return this.skip(Skip.NOT_INGRESS);
    let dir = rec.direction;
    if (dir === Direction.UNKNOWN && rec.pktType === 4) dir = Direction.OUTBOUND;
    if (dir === Direction.UNKNOWN) dir = this.inferDirection(iface, m);
    if (dir === Direction.OUTBOUND) {
      if (iface.master < 0 && m.srcMacHi === iface.macHi && m.srcMacLo === iface.macLo && (m.dstMacHi & 0x0100) === 0) this.wireNeighbour(dev, macKey(m.dstMacHi, m.dstMacLo));
      // sent with a MAC no host interface has, by a device that is no bridge port: another network
      // namespace's macvlan transmitting through its lower device, past every hook of this host
      const src = macKey(m.srcMacHi, m.srcMacLo);
      if (iface.master < 0 && iface.kind !== 'vxlan' && src !== 0 && !this.ownMacs.has(src)) {
        this.lastForeignDev = dev;
        return this.skip(Skip.FOREIGN);
      }
      return this.skip(Skip.OUTBOUND);
    }
    // what a VXLAN bridge port received still tells where its senders' addresses live
    if (iface.kind === 'vxlan') {
      if (iface.master >= 0) this.learnAddresses(iface, m);
      return this.skip(Skip.NOT_INGRESS);
    }
    this.lastSkip = Skip.INPUT;
    if (iface.master >= 0) this.learnAddresses(iface, m);
    else if (this.vxlanPorts.size > 0 && m.ipProto === IpProto.UDP && m.l4Off >= 0 && this.vxlanPorts.has(m.dport)) this.learnOverlay(m);
    return dev;
  }

  /**
   * A VXLAN datagram received: the frame inside enters a VXLAN bridge port, so its sender lives behind that
   * port (what the bridge will learn), even when no capture of the port itself says so.
   */
  private learnOverlay(m: PacketMeta): void {
    const b = m.data;
    const inner = m.l4Off + 16;
    const end = m.frameOff + m.caplen;
    if (inner + 14 > end) return;
    const vni = ((b[m.l4Off + 12]! << 16) | (b[m.l4Off + 13]! << 8) | b[m.l4Off + 14]!) >>> 0;
    const port = this.vxlanPorts.get(m.dport)!.find((i) => i.vxlan!.vni === vni && i.master >= 0);
    if (port === undefined) return;
    const mac = macKey((b[inner + 6]! << 8) | b[inner + 7]!, ((b[inner + 8]! << 24) | (b[inner + 9]! << 16) | (b[inner + 10]! << 8) | b[inner + 11]!) >>> 0);
    this.learned.set(mac, port.id);
    const type = (b[inner + 12]! << 8) | b[inner + 13]!;
    if (type === 0x0800 && inner + 30 <= end) this.ipToMac.set(((b[inner + 26]! << 24) | (b[inner + 27]! << 16) | (b[inner + 28]! << 8) | b[inner + 29]!) >>> 0, mac);
    else if (type === 0x0806) this.learnArpAt(b, inner + 14, end);
  }

  /** A frame received on bridge port `iface`: its source MAC is behind that port, and its addresses belong to it. */
  private learnAddresses(iface: HostIface, m: PacketMeta): void {
    const mac = macKey(m.srcMacHi, m.srcMacLo);
    // lookups are cheaper than updates, and the answer rarely changes
    if (this.learned.get(mac) !== iface.id) this.learned.set(mac, iface.id);
    if (m.l3 === L3.IPV4 && m.saddr !== 0 && this.ipToMac.get(m.saddr) !== mac) this.ipToMac.set(m.saddr, mac);
    else if (m.l3 === L3.ARP && m.l3Off >= 0) this.learnArpSender(m);
  }

  /**
   * For a record whose direction the capture states as received: the host interface if it is an ingress
   * point, else -1. classify() without the counting and the address learning (a first pass needs neither).
   */
  receivedOn(rec: CaptureRecord): number {
    const dev = this.deviceOf(rec);
    if (dev < 0) return -1;
    const kind = this.host.ifaces[dev]!.kind;
    return kind === 'bridge' || kind === 'loopback' || kind === 'vxlan' ? -1 : dev;
  }

  /** The host interface a record was captured on (the SLL2 ifindex unless --ingress named the file), or -1. HOT. */
  private deviceOf(rec: CaptureRecord): number {
    if (rec.ifIndex < 0 || (this.byFile[rec.fileIndex] ?? -1) >= 0) return this.byCapIface[rec.interfaceId] ?? -1;
    const i = rec.ifIndex;
    if (i < this.byIfindex.length) {
      const c = this.byIfindex[i]!;
      if (c !== 0) return c > 0 ? c - 1 : -1;
      const dev = this.host.byIndex(i)?.id ?? -1;
      this.byIfindex[i] = dev >= 0 ? dev + 1 : -1;
      return dev;
    }
    return this.host.byIndex(i)?.id ?? -1;
  }

  private skip(why: number): number {
    this.skipped[why]!++;
    this.lastSkip = why;
    return -1;
  }

  /** The MAC rules of a capture without directions. */
  private inferDirection(iface: HostIface, m: PacketMeta): number {
    const src = macKey(m.srcMacHi, m.srcMacLo);
    if (this.ownMacs.has(src)) return Direction.OUTBOUND;
    // from a MAC that is none of ours to one that is not ours either (never the host's to receive): another
    // namespace's macvlan transmitting through the device, when it goes to a neighbour the host itself
    // sends to on this wire, or from an address the host routes elsewhere to one it routes out this way
    if (iface.master < 0 && (m.dstMacHi & 0x0100) === 0 && !this.ownMacs.has(macKey(m.dstMacHi, m.dstMacLo))) {
      if (this.wireNeighbours.get(iface.id)?.has(macKey(m.dstMacHi, m.dstMacLo)) === true) return Direction.OUTBOUND;
      if (m.l3 === L3.IPV4 && m.l3Off >= 0) {
        const back = this.host.fib.lookup(m.saddr);
        const to = this.host.fib.lookup(m.daddr);
        if (back !== null && back.dev !== iface.id && to !== null && to.type === RouteType.UNICAST && to.dev === iface.id) return Direction.OUTBOUND;
      }
    }
    if (iface.master >= 0) {
      const where = this.learned.get(src);
      if (where !== undefined && where !== iface.id) return Direction.OUTBOUND;
      // addressed to its own sender: only a bridge port in hairpin mode sends such a frame (back)
      if (m.srcMacHi === m.dstMacHi && m.srcMacLo === m.dstMacLo && (m.dstMacHi & 0x0100) === 0) return Direction.OUTBOUND;
    }
    return Direction.INBOUND;
  }

  /** Is the source of `m` one of the host's own MACs? */
  fromHost(m: PacketMeta): boolean {
    return this.ownMacs.has(macKey(m.srcMacHi, m.srcMacLo));
  }

  private wireNeighbour(dev: number, mac: number): void {
    let s = this.wireNeighbours.get(dev);
    if (s === undefined) this.wireNeighbours.set(dev, (s = new Set()));
    s.add(mac);
  }

  /**
   * Set the link addresses and pkt_type of `p` arriving on `dev`. Ethernet frames carry both MACs. For
   * link types without a destination MAC it is reconstructed from what the sender must have addressed: the
   * broadcast/multicast address, the receiving device, or — on a bridge port — the destination's own MAC
   * when the destination is on the bridge's subnet, else the bridge (the sender's gateway).
   */
  linkAddresses(p: Pkt, dev: number, linkType: number): void {
    const m = p.meta;
    const iface = this.host.ifaces[dev]!;
    p.srcMacHi = m.srcMacHi;
    p.srcMacLo = m.srcMacLo;
    if (linkType === LinkType.ETHERNET) {
      p.dstMacHi = m.dstMacHi;
      p.dstMacLo = m.dstMacLo;
    } else if (m.pktType === 1) {
      p.dstMacHi = 0xffff;
      p.dstMacLo = 0xffffffff;
    } else if (m.pktType === 2 && m.l3 === L3.IPV4) {
      p.dstMacHi = 0x0100;
      p.dstMacLo = (0x5e000000 | (m.daddr & 0x7fffff)) >>> 0;
    } else if (iface.master >= 0) {
      this.bridgeDestination(p, iface.master);
    } else if (m.pktType === 3) {
      p.dstMacHi = 0;
      p.dstMacLo = 0;
    } else {
      p.dstMacHi = iface.macHi;
      p.dstMacLo = iface.macLo;
    }
    if (p.srcMacHi === 0 && p.srcMacLo === 0 && m.l3 === L3.IPV4) {
      const k = this.ipToMac.get(m.saddr);
      if (k !== undefined) {
        p.srcMacHi = Math.floor(k / 4294967296);
        p.srcMacLo = k % 4294967296;
      }
    }
    // pkt_type as the receiving device sees the destination MAC
    if (p.dstMacHi === 0xffff && p.dstMacLo === 0xffffffff) p.pktType = PktType.BROADCAST;
    else if ((p.dstMacHi & 0x0100) !== 0) p.pktType = PktType.MULTICAST;
    else if (p.dstMacHi === iface.macHi && p.dstMacLo === iface.macLo) p.pktType = PktType.HOST;
    else p.pktType = PktType.OTHERHOST;
  }

  private bridgeDestination(p: Pkt, br: number): void {
    const m = p.meta;
    const bridge = this.host.ifaces[br]!;
    let hi = bridge.macHi;
    let lo = bridge.macLo;
    // an ARP reply goes to the target hardware address it carries; a unicast request, like IPv4, to the
    // owner of the target address
    const arp = m.l3 === L3.ARP ? arpTargets(m) : null;
    if (arp !== null && arp.op === 2 && (arp.thaHi !== 0 || arp.thaLo !== 0)) {
      hi = arp.thaHi;
      lo = arp.thaLo;
    } else if (m.l3 === L3.IPV4 || arp !== null) {
      const target = arp !== null ? arp.tpa : m.daddr;
      const r = this.host.fib.lookup(target);
      if (r !== null && r.dev === br && r.gateway === 0 && r.type === 1) {
        const k = this.ipToMac.get(target) ?? neighbourKey(this.host, br, target);
        if (k !== undefined) {
          hi = Math.floor(k / 4294967296);
          lo = k % 4294967296;
        } else {
          // the sender resolved a MAC we never saw: an address the bridge does not know (flooded)
          hi = 0x0200;
          lo = 0;
        }
      }
    }
    p.dstMacHi = hi;
    p.dstMacLo = lo;
  }

  /** ARP sender hardware and protocol addresses (Ethernet/IPv4 ARP only). */
  private learnArpSender(m: PacketMeta): void {
    this.learnArpAt(m.data, m.l3Off, m.frameOff + m.caplen);
  }

  /** The ARP packet at `a` (captured up to `end`): its sender's MAC owns its sender address. */
  private learnArpAt(b: Uint8Array, a: number, end: number): void {
    if (a + 28 > end || b[a + 4] !== 6 || b[a + 5] !== 4) return;
    const hi = (b[a + 8]! << 8) | b[a + 9]!;
    const lo = ((b[a + 10]! << 24) | (b[a + 11]! << 16) | (b[a + 12]! << 8) | b[a + 13]!) >>> 0;
    const spa = ((b[a + 14]! << 24) | (b[a + 15]! << 16) | (b[a + 16]! << 8) | b[a + 17]!) >>> 0;
    if (spa !== 0) this.ipToMac.set(spa, macKey(hi, lo));
  }
}

/** What arpTargets() read (one reused record: ARP frames are handed to the caller one at a time). */
const arpSeen = { op: 0, thaHi: 0, thaLo: 0, tpa: 0 };

/** Opcode, target hardware and target protocol address of an Ethernet/IPv4 ARP frame, or null. */
function arpTargets(m: PacketMeta): typeof arpSeen | null {
  const b = m.data;
  const a = m.l3Off;
  if (a < 0 || a + 28 > m.frameOff + m.caplen || b[a + 4] !== 6 || b[a + 5] !== 4) return null;
  arpSeen.op = (b[a + 6]! << 8) | b[a + 7]!;
  arpSeen.thaHi = (b[a + 18]! << 8) | b[a + 19]!;
  arpSeen.thaLo = ((b[a + 20]! << 24) | (b[a + 21]! << 16) | (b[a + 22]! << 8) | b[a + 23]!) >>> 0;
  arpSeen.tpa = ((b[a + 24]! << 24) | (b[a + 25]! << 16) | (b[a + 26]! << 8) | b[a + 27]!) >>> 0;
  return arpSeen;
}

function neighbourKey(host: Host, dev: number, addr: number): number | undefined {
  const n = host.neighbour(dev, addr);
  return n === undefined ? undefined : macKey(n.macHi, n.macLo);
}

/**
 * 1 when the received packet is a GRO/TSO super-packet (Pkt.gso): a whole (unfragmented) IPv4 TCP or UDP
 * packet longer than the MTU of the device it came in on. Linux drops longer plain packets at the device
 * (is_skb_forwardable, the driver's frame limit), so only a GSO skb can be seen that long.
 */
export function superPacket(m: PacketMeta, mtu: number): number {
  if (m.l3 !== L3.IPV4 || m.ipTotalLen <= mtu || m.fragOffset !== 0 || m.moreFrags !== 0) return 0;
  return m.ipProto === IpProto.TCP || m.ipProto === IpProto.UDP ? 1 : 0;
}

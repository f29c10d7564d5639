// Packets for rule-set benchmarks, generated from the same models as the rule sets: a realistic mix of flows
// (Docker: published ports, container egress, same-bridge and cross-bridge traffic; kube-proxy: service VIPs,
// NodePorts, pod egress), as numeric fields loaded into one reused Skb/PacketMeta. No conntrack is run: each
// packet carries the ctinfo/ct status it would have (NEW, or ESTABLISHED after NAT) and, for established
// flows, the address the connection's DNAT binding gives it after nat PREROUTING.

import { Prng } from '../../../util/prng.js';
import { parseIpv4 } from '../../../util/ipv4.js';
import type { Interner } from '../../../util/intern.js';
import { AddrType, CtInfo, CtStatus, NONE } from '../../skb.js';
import type { RuleHost, Skb } from '../../skb.js';
import { IpProto, L3 } from '../../../decode/meta.js';
import type { DockerHost } from './docker.js';
import type { KubeCluster } from './kube.js';

/** A fixed set of packets as columns. */
export class BenchPackets {
  readonly n: number;
  readonly saddr: Uint32Array;
  readonly daddr: Uint32Array;
  readonly sport: Uint16Array;
  readonly dport: Uint16Array;
  readonly proto: Uint8Array;
  readonly len: Uint16Array;
  /** Ingress device (PREROUTING, FORWARD) and egress device (FORWARD, POSTROUTING), interned ids. */
  readonly inIf: Int32Array;
  readonly outIf: Int32Array;
  /** Destination after the connection's DNAT (0 when the flow is not DNATed), for established packets. */
  readonly natAddr: Uint32Array;
  readonly natPort: Uint16Array;

  constructor(n: number) {
    this.n = n;
    this.saddr = new Uint32Array(n);
    this.daddr = new Uint32Array(n);
    this.sport = new Uint16Array(n);
    this.dport = new Uint16Array(n);
    this.proto = new Uint8Array(n);
    this.len = new Uint16Array(n);
    this.inIf = new Int32Array(n);
    this.outIf = new Int32Array(n);
    this.natAddr = new Uint32Array(n);
    this.natPort = new Uint16Array(n);
  }

  /**
   * HOT: load packet `i` into `skb` as it arrives at PREROUTING: fresh header fields, no mark, and the
   * conntrack view of a NEW (`established` false) or ESTABLISHED original-direction packet.
   */
  // HOT: allocation-free
  load(i: number, skb: Skb, established: boolean): void {
    const m = skb.meta;
    m.l3 = L3.IPV4;
    m.saddr = this.saddr[i]!;
    m.daddr = this.daddr[i]!;
    m.sport = this.sport[i]!;
    m.dport = this.dport[i]!;
    const proto = this.proto[i]!;
    m.ipProto = proto;
    const len = this.len[i]!;
    m.ipTotalLen = len;
    m.caplen = len;
    m.wirelen = len;
    m.ipHdrLen = 20;
    m.fragOffset = 0;
    m.l4Off = 20;
    m.l4Len = len - 20;
    m.tcpHdrLen = proto === IpProto.TCP ? 20 : 0;
    m.tcpFlags = proto === IpProto.TCP ? (established ? 0x10 : 0x02) : 0;
    skb.inIf = this.inIf[i]!;
    skb.outIf = NONE;
    skb.mark = 0;
    skb.ct = i;
    skb.untracked = 0;
    skb.ctMark = 0;
    skb.ctProto = proto;
    skb.ctOrigSrc = m.saddr;
    skb.ctOrigDst = m.daddr;
    skb.ctOrigSport = m.sport;
    skb.ctOrigDport = m.dport;
    if (established) {
      skb.ctInfo = CtInfo.ESTABLISHED;
      skb.ctStatus = CtStatus.CONFIRMED | CtStatus.SEEN_REPLY | CtStatus.ASSURED | (this.natAddr[i]! !== 0 ? CtStatus.DST_NAT : 0);
    } else {
      skb.ctInfo = CtInfo.NEW;
      skb.ctStatus = 0;
    }
  }
}

/** Local addresses of the benchmark host, for `-m addrtype` (RTN_LOCAL); everything else is unicast. */
export class BenchHost implements RuleHost {
  private readonly local: Uint32Array;

  constructor(local: readonly number[]) {
    this.local = Uint32Array.from(local);
  }

  // HOT
  addrType(addr: number, limitIf: number): number {
    void limitIf;
    const a = addr >>> 0;
    if (a >>> 24 === 127) return AddrType.LOCAL;
    for (let i = 0; i < this.local.length; i++) if (this.local[i] === a) return AddrType.LOCAL;
    if (a === 0xffffffff) return AddrType.BROADCAST;
    if (a >>> 28 === 0xe) return AddrType.MULTICAST;
    return AddrType.UNICAST;
  }

  isLoopbackDevice(id: number): boolean {
    void id;
    return false;
  }

  /** Every source is reachable back through the device it came in on. */
  routeBackVia(skb: Skb, loose: boolean, acceptLocal: boolean, validMark: boolean): boolean {
    void loose;
    void validMark;
    return acceptLocal || this.addrType(skb.meta.saddr, NONE) !== AddrType.LOCAL;
  }

  /** Every benchmark device is in the default group. */
  deviceGroup(id: number): number {
    void id;
    return 0;
  }
}

/** A generated benchmark workload. */
export interface BenchWorkload {
  packets: BenchPackets;
  host: BenchHost;
}

const PACKET_SIZES = [60, 60, 52, 40, 576, 1500, 1500, 1400] as const;

function pick<T>(rng: Prng, a: readonly T[]): T {
  return a[rng.below(a.length)]!;
}

/**
 * Docker host traffic: 40% external clients to published ports (DNAT to the container), 40% container
 * egress to the internet, 10% container to container on the same bridge, 10% across bridges (isolated).
 */
export function dockerPackets(host: DockerHost, interner: Interner, n: number, seed: number): BenchWorkload {
  const rng = new Prng(seed, 1);
  const p = new BenchPackets(n);
  const eth0 = interner.intern('eth0');
  const hostIp = parseIpv4('198.51.100.1');
  const bridges = host.networks.map((x) => interner.intern(x.bridge));
  const local = [hostIp, ...host.networks.map((x) => (parseIpv4(x.subnet.split('/')[0]!) + 1) >>> 0)];
  const containers = host.containers.map((c) => ({ addr: parseIpv4(c.address), net: c.network }));
  for (let i = 0; i < n; i++) {
    const r = rng.below(100);
    const sport = 32768 + rng.below(28232);
    p.sport[i] = sport;
    p.len[i] = pick(rng, PACKET_SIZES);
    p.proto[i] = IpProto.TCP;
    if (containers.length === 0 || r < 40) {
      const port = host.ports.length > 0 ? pick(rng, host.ports) : null;
      p.saddr[i] = (parseIpv4('203.0.113.0') + 1 + rng.below(250)) >>> 0;
      p.daddr[i] = hostIp;
      p.inIf[i] = eth0;
      if (port !== null) {
        const c = host.containers[port.container]!;
        p.dport[i] = port.hostPort;
        p.proto[i] = port.proto === 'udp' ? IpProto.UDP : IpProto.TCP;
        p.natAddr[i] = parseIpv4(c.address);
        p.natPort[i] = port.containerPort;
        p.outIf[i] = bridges[c.network]!;
      } else {
        p.dport[i] = 22;
        p.outIf[i] = NONE;
      }
    } else {
      const c = pick(rng, containers);
      p.saddr[i] = c.addr;
      p.inIf[i] = bridges[c.net]!;
      if (r < 80) {
        p.daddr[i] = parseIpv4('93.184.216.34');
        p.dport[i] = 443;
        p.outIf[i] = eth0;
      } else {
        const sameNet = containers.filter((x) => x.net === c.net);
        const other = containers.filter((x) => x.net !== c.net);
        const d = r < 90 || other.length === 0 ? pick(rng, sameNet) : pick(rng, other);
        p.daddr[i] = d.addr;
        p.dport[i] = 80;
        p.outIf[i] = bridges[d.net]!;
      }
    }
  }
  return { packets: p, host: new BenchHost(local) };
}

/**
 * kube-proxy node traffic: 85% to a service's cluster IP and port (60% from outside via eth0, 40% from local
 * pods via cni0), 10% to NodePorts on the node address (when the set has them), 5% pod egress.
 */
export function kubePackets(cluster: KubeCluster, interner: Interner, n: number, seed: number): BenchWorkload {
  const rng = new Prng(seed, 2);
  const p = new BenchPackets(n);
  const eth0 = interner.intern('eth0');
  const cni0 = interner.intern('cni0');
  const overlay = interner.intern('flannel.1');
  const nodeIp = parseIpv4('192.168.0.10');
  const podGw = parseIpv4('10.244.0.1');
  const withEndpoints = cluster.services.filter((s) => s.endpoints.length > 0);
  const withNodePort = withEndpoints.filter((s) => s.nodePort !== 0);
  const localPods = (parseIpv4('10.244.0.2') & 0xffffff00) >>> 0;
  for (let i = 0; i < n; i++) {
    const r = rng.below(100);
    p.sport[i] = 32768 + rng.below(28232);
    p.len[i] = pick(rng, PACKET_SIZES);
    const fromPod = rng.below(100) < 40;
    p.saddr[i] = fromPod ? (localPods + 2 + rng.below(250)) >>> 0 : (parseIpv4('192.168.1.0') + 1 + rng.below(250)) >>> 0;
    p.inIf[i] = fromPod ? cni0 : eth0;
    const useNodePort = r >= 85 && r < 95 && withNodePort.length > 0;
    if (r < 95 && withEndpoints.length > 0) {
      const svc = useNodePort ? pick(rng, withNodePort) : pick(rng, withEndpoints);
      p.proto[i] = svc.proto === 'udp' ? IpProto.UDP : IpProto.TCP;
      p.daddr[i] = useNodePort ? nodeIp : svc.vip;
      p.dport[i] = useNodePort ? svc.nodePort : svc.port;
      const ep = svc.endpoints[rng.below(svc.endpoints.length)]!;
      p.natAddr[i] = ep;
      p.natPort[i] = svc.targetPort;
      p.outIf[i] = (ep & 0xffffff00) >>> 0 === localPods ? cni0 : overlay;
    } else {
      p.proto[i] = IpProto.TCP;
      p.saddr[i] = (localPods + 2 + rng.below(250)) >>> 0;
      p.inIf[i] = cni0;
      p.daddr[i] = (parseIpv4('203.0.113.0') + 1 + rng.below(250)) >>> 0;
      p.dport[i] = 443;
      p.outIf[i] = eth0;
    }
  }
  return { packets: p, host: new BenchHost([nodeIp, podGw, parseIpv4('10.244.0.0')]) };
}

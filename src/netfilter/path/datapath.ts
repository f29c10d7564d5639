// The host datapath's state and its netfilter hook sequences, in kernel priority order (reference 1.1):
// PRE_ROUTING defrag, raw, conntrack, mangle, nat(DST); LOCAL_IN mangle, filter, security, nat(SRC),
// confirm; FORWARD mangle, filter, security; LOCAL_OUT raw, conntrack, mangle(+reroute), nat(DST,+reroute),
// filter, security; POST_ROUTING mangle, nat(SRC), confirm. Packet movement lives in the ip-*/bridge files.

import type { Host } from '../../host/host.js';
import type { Prng } from '../../util/prng.js';
import type { ConntrackApi } from '../conntrack/api.js';
import type { Nat, NatRuleRunner } from '../nat/nat.js';
import type { RuleEngine, TableProgram } from '../rules/engine.js';
import { RuleResult, runTable, traceTable } from '../rules/engine.js';
import type { RuleEnv } from '../rules/engine-env.js';
import type { TraceSink } from '../rules/trace.js';
import { CtInfo, Hook, HOOK_NAMES, NONE, Verdict } from '../skb.js';
import type { DecodeCounters } from '../../decode/counters.js';
import { Defrag } from './defrag.js';
import { BridgeFdb } from './fdb.js';
import { NeighTable } from './neigh.js';
import type { NeighEvents } from './neigh.js';
import type { WallClock } from '../rules/module.js';
import { macKey } from '../../util/ipv4.js';
import { NexthopChooser } from './multipath.js';
import type { LearnedNexthops } from './multipath.js';
import type { Pkt } from './pkt.js';
import { PktPool } from './pkt.js';
import type { DatapathSink } from './sink.js';
import { IcmpLimiter } from './icmp-limit.js';
import { DatapathStats } from './stats.js';
import { LocalSockets } from './local-sockets.js';
import type { NatHints } from '../../engine/prescan.js';
import type { VxlanHints } from '../../engine/vxlan-hints.js';
import { vxlanPorts } from './vxlan.js';
import type { HostIface, HostNeighbour } from '../../host/types.js';
import { hookToManip, Manip } from '../nat/range.js';
import { IpProto } from '../../decode/meta.js';
import { Tuple } from '../conntrack/tuple.js';

export interface DatapathOptions {
  host: Host;
  rules: RuleEngine;
  ct: ConntrackApi;
  nat: Nat;
  /** Rule evaluation environment (match env + the datapath's target env, set up by the caller). */
  env: RuleEnv;
  sink: DatapathSink;
  prng: Prng;
  counters: DecodeCounters;
  /** Conntrack (and defrag, NAT) hooks are registered only when some rule needs them (reference 1.5). */
  conntrackActive: boolean;
  /** iptables-nft registers the security table at priority 150, after nat SRC at LOCAL_IN. */
  nftBackend: boolean;
  /** Trace sink for the packet being traced (--trace), or null. */
  trace: TraceSink | null;
  neighEvents: NeighEvents;
  /** Kernel NAT choices seen in the capture (prescan), or null. */
  natHints: NatHints | null;
  /** What the host's VXLAN devices chose for their encapsulations in the capture (prescan), or null. */
  vxlanHints?: VxlanHints | null;
  /** Neighbour entries known when the capture starts (the snapshot's, minus those resolved in it). */
  neighbourSeed: readonly HostNeighbour[];
  /** Where virtual time 0 lies on the capture's clock (set when the first packet is read); default the epoch. */
  clock?: WallClock;
  /** Per device: what the capture shows of its checksum offload (TxChecksum bits, prescan), or null. */
  txChecksums?: Uint8Array | null;
  /** Per device: MACs other namespaces' macvlans on it send from (prescan), or null. */
  foreignMacs?: Map<number, Set<number>> | null;
  /** Multipath choices the capture shows (prescan), or null. */
  learnedNexthops?: LearnedNexthops | null;
}

/** The tables in the order their hooks run at equal points (raw, mangle, nat, filter, security). */
/** What a capture shows of a device's transmissions: TCP/UDP sent (SENT), and with a partial checksum among them. */
export const TxChecksum = { SENT: 1, PARTIAL_SEEN: 3 } as const;

export class Datapath {
  readonly host: Host;
  readonly rules: RuleEngine;
  readonly ct: ConntrackApi;
  readonly nat: Nat;
  readonly env: RuleEnv;
  readonly sink: DatapathSink;
  readonly prng: Prng;
  readonly counters: DecodeCounters;
  readonly conntrackActive: boolean;
  readonly nftBackend: boolean;
  readonly pool = new PktPool();
  readonly defrag = new Defrag();
  readonly neigh: NeighTable;
  readonly fdb: (BridgeFdb | null)[];
  readonly icmpLimit: IcmpLimiter;
  readonly stats: DatapathStats;
  readonly localSockets: LocalSockets;
  /**
   * One RuleResult per nesting level: a REJECT inside a walk sends its answer through OUTPUT and POSTROUTING
   * before the outer walk has returned (as the kernel does), so walks nest.
   */
  private readonly results: RuleResult[] = [new RuleResult()];
  private depth = 0;
  readonly raw: TableProgram | undefined;
  readonly mangle: TableProgram | undefined;
  readonly natTable: TableProgram | undefined;
  readonly filter: TableProgram | undefined;
  readonly security: TableProgram | undefined;
  /** Scratch buffer for ARP frames the host sends. */
  readonly arpFrame = new Uint8Array(64);
  /** Loopback interface id (-1 when the snapshot has none). */
  readonly lo: number;
  /** Why the last input route lookup dropped its packet silently (martian, forwarding off ...). */
  routeDropReason = '';
  /** Trace sink while a traced packet is in flight. */
  trace: TraceSink | null;
  /** Runs the nat table for Nat.hookFn. */
  readonly natRunner: NatRuleRunner;
  readonly natHints: NatHints | null;
  readonly vxlanHints: VxlanHints | null;
  /** VXLAN devices by the UDP port they receive on. */
  readonly vxlanByPort: Map<number, HostIface[]>;
  /** Seed of the stand-in for the inner flow hash of VXLAN source ports. */
  readonly vxlanSeed: number;
  /** Next outer IP ID per (source, destination) of encapsulations the capture does not show. */
  readonly vxlanIdents = new Map<number, number>();
  /** The capture's clock at virtual time 0 (ICMP timestamps read real time from it). */
  readonly clock: WallClock;
  private readonly txChecksums: Uint8Array | null;
  /** Per lower device: the MACs of its bridge-mode macvlans, the host's and other namespaces' alike. */
  private readonly macvlanSiblings = new Map<number, Set<number>>();
  /** Picks a multipath route's nexthop for a flow. */
  readonly nexthops: NexthopChooser;
  /** Scratch: a NEW packet's conntrack ORIGINAL tuple, its tuple as received (for the NAT hints). */
  private readonly received = new Tuple();

  constructor(o: DatapathOptions) {
    this.host = o.host;
    this.rules = o.rules;
    this.ct = o.ct;
    this.nat = o.nat;
    this.env = o.env;
    this.sink = o.sink;
    this.prng = o.prng;
    this.counters = o.counters;
    this.conntrackActive = o.conntrackActive;
    this.nftBackend = o.nftBackend;
    this.trace = o.trace;
    this.raw = o.rules.table('raw');
    this.mangle = o.rules.table('mangle');
    this.natTable = o.rules.table('nat');
    this.filter = o.rules.table('filter');
    this.security = o.rules.table('security');
    this.neigh = new NeighTable(o.prng.fork('neigh'), o.neighEvents, o.neighbourSeed);
    this.natHints = o.natHints;
    this.vxlanHints = o.vxlanHints ?? null;
    this.vxlanByPort = vxlanPorts(o.host.ifaces);
    this.vxlanSeed = o.prng.fork('vxlan').u32();
    this.icmpLimit = new IcmpLimiter(o.host.sysctls, o.prng.fork('icmp'));
    this.stats = new DatapathStats();
    this.localSockets = new LocalSockets(o.host);
    this.fdb = o.host.ifaces.map((i) => {
      if (i.kind !== 'bridge') return null;
      const f = new BridgeFdb();
      f.addLocal(i.macHi, i.macLo);
      for (const port of i.ports) f.addLocal(o.host.iface(port).macHi, o.host.iface(port).macLo);
      return f;
    });
    this.lo = o.host.ifaces.find((i) => i.kind === 'loopback')?.id ?? -1;
    this.clock = o.clock ?? { baseSec: 0, baseNsec: 0 };
    this.txChecksums = o.txChecksums ?? null;
    for (const [lower, macs] of o.foreignMacs ?? []) this.macvlanSiblings.set(lower, new Set(macs));
    for (const i of o.host.ifaces) {
      if (i.macvlan === undefined || i.macvlan.lower < 0 || i.macvlan.mode !== 'bridge') continue;
      let s = this.macvlanSiblings.get(i.macvlan.lower);
      if (s === undefined) this.macvlanSiblings.set(i.macvlan.lower, (s = new Set()));
      s.add(macKey(i.macHi, i.macLo));
    }
    this.nexthops = new NexthopChooser(o.prng.fork('multipath').u32(), o.learnedNexthops ?? null);
    const self = this;
    this.natRunner = {
      runNatTable(skb, hook): number {
        return self.natTable === undefined ? Verdict.ACCEPT : self.table(self.natTable, hook, skb as Pkt);
      },
    };
  }

  /**
   * Does `dev` complete a checksum left for the NIC before sending (no checksum offload)? Only a capture
   * that shows the device sending TCP or UDP, never with a partial checksum, says so; otherwise the
   * checksum is left partial, as devices with offloads (the default for veth, bridges and NICs) leave it. HOT.
   */
  completesChecksums(dev: number): boolean {
    const t = this.txChecksums;
    return t !== null && dev >= 0 && dev < t.length && t[dev] === TxChecksum.SENT;
  }

  /**
   * The lower device a frame that macvlan `dev` sends to `dstHi:dstLo` also leaves by (macvlan_queue_xmit),
   * or -1: in bridge mode a frame for another macvlan of the same lower device — one of the host's, or one
   * the capture shows another namespace sending from — is delivered to it inside the driver; broadcasts,
   * multicasts and everything else, and every frame in the other modes, go out through the lower device. HOT.
   */
  macvlanLower(dev: number, dstHi: number, dstLo: number): number {
    const mv = this.host.ifaces[dev]?.macvlan;
    if (mv === undefined || mv.lower < 0) return -1;
    if (mv.mode !== 'bridge' || (dstHi & 0x0100) !== 0) return mv.lower;
    return this.macvlanSiblings.get(mv.lower)?.has(macKey(dstHi, dstLo)) === true ? -1 : mv.lower;
  }

  /**
   * Walk one table at the packet's current hook. A DROP is reported with the deciding rule or policy.
   * Returns the verdict (ACCEPT, DROP, QUEUE, STOLEN). HOT.
   */
  table(program: TableProgram, hook: number, p: Pkt): number {
    p.hook = hook;
    if (this.depth === this.results.length) this.results.push(new RuleResult());
    const r = this.results[this.depth++]!;
    const ctMark = p.ctMark;
    // an exception here is a programming error that ends the whole run, so no finally is needed
    const v = this.trace !== null ? traceTable(program, hook, p, this.env, r, this.trace) : runTable(program, hook, p, this.env, r);
    this.depth--;
    this.stats.verdict(hook, v);
    if (p.ctMark !== ctMark && p.ct !== NONE) this.ct.setMark(p.ct, p.ctMark, p);
    if (v === Verdict.DROP) {
      if (r.ruleId >= 0) this.stats.setDrop('rule', `${r.table}:${r.chain}:rule ${r.ruleNum}`, hook);
      else this.stats.setDrop('policy', `${r.table}:${r.chain}:policy`, hook);
    }
    return v;
  }

  // --- hook sequences -----------------------------------------------------------------------------

  /** NF_INET_PRE_ROUTING after defrag (which the caller ran). HOT. */
  preRouting(p: Pkt, inIf: number): number {
    p.inIf = inIf;
    p.outIf = NONE;
    let v: number;
    if (this.raw !== undefined && (v = this.table(this.raw, Hook.PRE_ROUTING, p)) !== Verdict.ACCEPT) return v;
    if (this.conntrackActive && p.untracked === 0) {
      p.hook = Hook.PRE_ROUTING;
      v = this.ct.in(p, Hook.PRE_ROUTING);
      if (v !== Verdict.ACCEPT) return this.kernelDrop(p, 'conntrack', 'conntrack dropped the packet (table full or tracker verdict)', Hook.PRE_ROUTING);
    }
    if (this.mangle !== undefined && (v = this.table(this.mangle, Hook.PRE_ROUTING, p)) !== Verdict.ACCEPT) return v;
    if (this.conntrackActive) {
      p.hook = Hook.PRE_ROUTING;
      v = this.natHook(p, Hook.PRE_ROUTING);
      if (v !== Verdict.ACCEPT) return this.natVerdict(v, Hook.PRE_ROUTING);
    }
    return Verdict.ACCEPT;
  }

  /** NF_INET_LOCAL_IN, including confirmation. HOT. */
  localIn(p: Pkt, inIf: number): number {
    p.inIf = inIf;
    p.outIf = NONE;
    let v: number;
    if (this.mangle !== undefined && (v = this.table(this.mangle, Hook.LOCAL_IN, p)) !== Verdict.ACCEPT) return v;
    if (this.filter !== undefined && (v = this.table(this.filter, Hook.LOCAL_IN, p)) !== Verdict.ACCEPT) return v;
    if (!this.nftBackend && this.security !== undefined && (v = this.table(this.security, Hook.LOCAL_IN, p)) !== Verdict.ACCEPT) return v;
    if (this.conntrackActive) {
      p.hook = Hook.LOCAL_IN;
      v = this.natHook(p, Hook.LOCAL_IN);
      if (v !== Verdict.ACCEPT) return this.natVerdict(v, Hook.LOCAL_IN);
    }
    if (this.nftBackend && this.security !== undefined && (v = this.table(this.security, Hook.LOCAL_IN, p)) !== Verdict.ACCEPT) return v;
    return this.confirm(p, Hook.LOCAL_IN);
  }

  /** NF_INET_FORWARD. HOT. */
  forward(p: Pkt, inIf: number, outIf: number): number {
    p.inIf = inIf;
    p.outIf = outIf;
    let v: number;
    if (this.mangle !== undefined && (v = this.table(this.mangle, Hook.FORWARD, p)) !== Verdict.ACCEPT) return v;
    if (this.filter !== undefined && (v = this.table(this.filter, Hook.FORWARD, p)) !== Verdict.ACCEPT) return v;
    if (this.security !== undefined && (v = this.table(this.security, Hook.FORWARD, p)) !== Verdict.ACCEPT) return v;
    return Verdict.ACCEPT;
  }

  /**
   * NF_INET_LOCAL_OUT up to (not including) filter: raw, conntrack, mangle, nat(DST). `reroute` is called
   * when mangle changed the mark, addresses or TOS, or DNAT changed the destination (ip_route_me_harder).
   */
  localOut(p: Pkt, outIf: number, reroute: (p: Pkt) => boolean): number {
    p.inIf = NONE;
    p.outIf = outIf;
    let v: number;
    if (this.raw !== undefined && (v = this.table(this.raw, Hook.LOCAL_OUT, p)) !== Verdict.ACCEPT) return v;
    if (this.conntrackActive && p.untracked === 0 && p.ct === NONE) {
      p.hook = Hook.LOCAL_OUT;
      v = this.ct.in(p, Hook.LOCAL_OUT);
      if (v !== Verdict.ACCEPT) return this.kernelDrop(p, 'conntrack', 'conntrack dropped the packet', Hook.LOCAL_OUT);
    }
    if (this.mangle !== undefined) {
      const m = p.meta;
      const mark = p.mark;
      const saddr = m.saddr;
      const daddr = m.daddr;
      const tos = m.ipTos;
      if ((v = this.table(this.mangle, Hook.LOCAL_OUT, p)) !== Verdict.ACCEPT) return v;
      if ((mark !== p.mark || saddr !== m.saddr || daddr !== m.daddr || tos !== m.ipTos) && !reroute(p))
        return this.kernelDrop(p, 'no_route', 'no route after mangle OUTPUT changed the packet', Hook.LOCAL_OUT);
    }
    if (this.conntrackActive) {
      const daddr = p.meta.daddr;
      p.hook = Hook.LOCAL_OUT;
      v = this.natHook(p, Hook.LOCAL_OUT);
      if (v !== Verdict.ACCEPT) return this.natVerdict(v, Hook.LOCAL_OUT);
      if (daddr !== p.meta.daddr && !reroute(p)) return this.kernelDrop(p, 'no_route', 'no route after DNAT in OUTPUT', Hook.LOCAL_OUT);
    }
    let w: number;
    if (this.filter !== undefined && (w = this.table(this.filter, Hook.LOCAL_OUT, p)) !== Verdict.ACCEPT) return w;
    if (this.security !== undefined && (w = this.table(this.security, Hook.LOCAL_OUT, p)) !== Verdict.ACCEPT) return w;
    return Verdict.ACCEPT;
  }

  /** NF_INET_POST_ROUTING, including confirmation. `inIf` is the device the packet arrived on, if any. HOT. */
  postRouting(p: Pkt, inIf: number, outIf: number): number {
    p.inIf = inIf;
    p.outIf = outIf;
    let v: number;
    if (this.mangle !== undefined && (v = this.table(this.mangle, Hook.POST_ROUTING, p)) !== Verdict.ACCEPT) return v;
    if (this.conntrackActive) {
      p.hook = Hook.POST_ROUTING;
      v = this.natHook(p, Hook.POST_ROUTING);
      if (v !== Verdict.ACCEPT) return this.natVerdict(v, Hook.POST_ROUTING);
    }
    return this.confirm(p, Hook.POST_ROUTING);
  }

  /**
   * The NAT hook (nf_nat_ipv4_fn). For a new connection the kernel's own random choices for this packet, when
   * the capture shows them, replace random draws: the port offered to the allocator, and the destination
   * that steers `-m statistic --mode random` in the rule walk (rules/nat-reach.ts).
   */
  private natHook(p: Pkt, hook: number): number {
    const hints = this.natHints;
    const observed = this.env.match.observedDnat;
    if (hints !== null && p.ctInfo === CtInfo.NEW) {
      const m = p.meta;
      const received = this.received.set(p.ctOrigSrc, p.ctOrigDst, p.ctOrigSport, p.ctOrigDport, p.ctProto);
      if (hookToManip(hook) === Manip.SRC) this.nat.alloc.preferredKey = hints.srcPort(m, received);
      else {
        const sent = hints.sentAs(m, received);
        this.nat.alloc.preferredKey = sent === null ? -1 : sent.dport;
        if (sent !== null && (sent.daddr !== m.daddr || sent.dport !== (m.ipProto === IpProto.ICMP ? m.icmpType : m.dport))) observed.set(sent.daddr, sent.dport);
      }
    }
    p.hook = hook;
    const v = this.nat.hookFn(p, hook, this.natTable !== undefined ? this.natRunner : null);
    this.nat.alloc.preferredKey = -1;
    observed.clear();
    return v;
  }

  /** nf_confirm at NF_IP_PRI_CONNTRACK_CONFIRM. */
  private confirm(p: Pkt, hook: number): number {
    if (!this.conntrackActive || p.ct === NONE) return Verdict.ACCEPT;
    p.hook = hook;
    const v = this.ct.confirm(p, p.finishNs);
    if (v !== Verdict.ACCEPT) return this.kernelDrop(p, 'insert_failed', 'conntrack confirm: clash with an entry already confirmed (insert_failed)', hook);
    return Verdict.ACCEPT;
  }

  private natVerdict(v: number, hook: number): number {
    if (v === Verdict.DROP && this.stats.pendingDrop === null) this.stats.setDrop('nat', 'NAT failed: no address or unique tuple, or masquerade device changed', hook);
    return v;
  }

  /** Record a drop decided outside the rule tables; returns Verdict.DROP. */
  kernelDrop(_p: Pkt, code: string, detail: string, hook: number): number {
    this.stats.setDrop(code, detail, hook);
    return Verdict.DROP;
  }

  /**
   * The packet is gone (dropped): report it with the pending reason, free an unconfirmed conntrack entry,
   * return the buffer to the pool.
   */
  dropPacket(p: Pkt, fallbackCode: string, fallbackDetail: string): void {
    const d = this.stats.takeDrop(fallbackCode, fallbackDetail, p.hook);
    this.sink.drop(p, d, p.finishNs);
    this.releaseCt(p);
    this.pool.put(p);
  }

  /** Let go of the packet's conntrack reference (frees it when it was never confirmed). */
  releaseCt(p: Pkt): void {
    if (p.ct !== NONE && this.conntrackActive) {
      if (!this.ct.isConfirmed(p.ct) && (p.ctInfo === CtInfo.NEW)) this.ct.release(p);
    }
    p.ct = NONE;
  }

  /** The packet leaves the host (transmitted or consumed): it no longer holds its conntrack entry. */
  releaseCtRef(p: Pkt): void {
    p.ct = NONE;
  }

  /** Hook name for messages. */
  static hookName(hook: number): string {
    return HOOK_NAMES[hook] ?? '?';
  }
}

// The host model the datapath runs on: interfaces (interned ids shared with the rule engine), bridges and
// their ports, addresses, the FIB, neighbours, listening sockets and sysctls. Read-only after construction.

import { Interner } from '../util/intern.js';
import { Fib } from './fib.js';
import type { FibRule } from './fib-rules.js';
import { RouteKey } from './fib-rules.js';
import { usesDevice } from './fib-table.js';
import type { HostIface, HostNeighbour, HostRoute, ListeningSocket } from './types.js';
import { RouteType, Scope } from './types.js';
import type { HostSysctls } from './sysctl.js';
import { devConf, devConfOn } from './sysctl.js';
import type { RuleHost, Skb } from '../netfilter/skb.js';

export interface HostInit {
  ifaces: HostIface[];
  routes: HostRoute[];
  /** Policy-routing rules (ip-rule.json), or null for the kernel's default three. */
  rules?: FibRule[] | null;
  neighbours: HostNeighbour[];
  listening: ListeningSocket[];
  sysctls: HostSysctls;
  warnings: string[];
  source: string;
}

/** A device's effective route-lookup settings (IN_DEV_RPFILTER, IN_DEV_ACCEPT_LOCAL, ...). */
export interface DevConf {
  /** 0 off, 1 strict, 2 loose. */
  readonly rpFilter: number;
  readonly acceptLocal: boolean;
  /** IN_DEV_SRC_VMARK: the packet's mark takes part in reverse-path lookups. */
  readonly srcValidMark: boolean;
  readonly routeLocalnet: boolean;
  readonly sendRedirects: boolean;
  readonly sharedMedia: boolean;
}

export class Host implements RuleHost {
  readonly ifaces: readonly HostIface[];
  /** Interface names interned in id order; the rule engine interns further names after these. */
  readonly names: Interner;
  readonly fib: Fib;
  /** The loopback device's id (flowi4_iif of locally generated packets), or -1. */
  readonly lo: number;
  private readonly rpKey = new RouteKey();
  readonly neighbours: readonly HostNeighbour[];
  readonly listening: readonly ListeningSocket[];
  readonly sysctls: HostSysctls;
  readonly warnings: readonly string[];
  readonly source: string;
  private readonly byIfindex = new Map<number, HostIface>();
  private readonly listenKeys = new Set<number>();
  private readonly ifAddrs = new Set<number>();
  private readonly confs: (DevConf | undefined)[] = [];

  constructor(init: HostInit) {
    this.ifaces = init.ifaces;
    this.names = new Interner();
    for (const i of init.ifaces) {
      if (this.names.intern(i.name) !== i.id) throw new Error(`interface ids must follow list order (${i.name})`);
      this.byIfindex.set(i.ifindex, i);
    }
    this.fib = new Fib(init.routes, init.rules ?? null);
    this.lo = init.ifaces.find((i) => i.kind === 'loopback')?.id ?? -1;
    this.neighbours = init.neighbours;
    this.listening = init.listening;
    this.sysctls = init.sysctls;
    this.warnings = init.warnings;
    this.source = init.source;
    for (const s of init.listening) this.listenKeys.add(listenKey(s.proto === 'tcp' ? 6 : 17, s.port));
    for (const i of init.ifaces) for (const a of i.addrs) this.ifAddrs.add(a.local);
  }

  /**
   * The effective per-device settings of interface `id` (conf.all combined with the device's own), made
   * once per interface: route lookups read them for every packet. The sysctls must not change afterwards.
   */
  conf(id: number): DevConf {
    let c = this.confs[id];
    if (c === undefined) {
      const n = this.ifaces[id]!.name;
      const s = this.sysctls;
      c = {
        rpFilter: devConf(s, n, 'rp_filter'),
        acceptLocal: devConfOn(s, n, 'accept_local'),
        routeLocalnet: devConfOn(s, n, 'route_localnet'),
        sendRedirects: devConfOn(s, n, 'send_redirects'),
        sharedMedia: devConfOn(s, n, 'shared_media'),
        srcValidMark: devConfOn(s, n, 'src_valid_mark'),
      };
      this.confs[id] = c;
    }
    return c;
  }

  /** inet_lookup_ifaddr_rcu: is `addr` an address configured on one of the interfaces? HOT. */
  isIfAddr(addr: number): boolean {
    return this.ifAddrs.has(addr);
  }

  iface(id: number): HostIface {
    const i = this.ifaces[id];
    if (i === undefined) throw new RangeError(`no interface with id ${id}`);
    return i;
  }

  byName(name: string): HostIface | undefined {
    const id = this.names.lookup(name);
    return id >= 0 && id < this.ifaces.length ? this.ifaces[id] : undefined;
  }

  byIndex(ifindex: number): HostIface | undefined {
    return this.byIfindex.get(ifindex);
  }

  /** RuleHost: xt_addrtype semantics (see Fib.addrType). HOT. */
  addrType(addr: number, limitIf: number): number {
    return this.fib.addrType(addr, limitIf);
  }

  /** RuleHost: the loopback device. */
  isLoopbackDevice(id: number): boolean {
    return this.ifaces[id]?.kind === 'loopback';
  }

  /** RuleHost: dev->group for `-m devgroup`; names the rules intern beyond the snapshot's devices are in group 0. HOT. */
  deviceGroup(id: number): number {
    return this.ifaces[id]?.group ?? 0;
  }

  /**
   * RuleHost: `-m rpfilter`'s reverse lookup (rpfilter_mt: the flow back to the source from the destination —
   * 0 when that is a broadcast or multicast address — entering from loopback, the mark only with --validmark). HOT.
   */
  routeBackVia(skb: Skb, loose: boolean, acceptLocal: boolean, validMark: boolean): boolean {
    const m = skb.meta;
    const k = this.rpKey.plain(m.saddr);
    const d = m.daddr;
    k.saddr = (d & 0xf0000000) >>> 0 === 0xe0000000 || d === 0xffffffff || (d & 0xff000000) === 0 ? 0 : d;
    k.iif = this.lo;
    k.tos = m.ipTos;
    k.mark = validMark ? skb.mark : 0;
    const dev = skb.inIf;
    const r = this.fib.route(k);
    if (r === null) return false;
    if (r.type !== RouteType.UNICAST && (r.type !== RouteType.LOCAL || !acceptLocal)) return false;
    return loose || usesDevice(r, dev);
  }

  /** MTU of a route: its mtu metric, else its device's MTU. */
  routeMtu(r: HostRoute): number {
    if (r.mtu > 0) return r.mtu;
    return r.dev >= 0 ? this.ifaces[r.dev]!.mtu : 65535;
  }

  /** Is something listening on proto/port at `addr` (or at the wildcard address)? HOT. */
  isListening(proto: number, addr: number, port: number): boolean {
    if (!this.listenKeys.has(listenKey(proto, port))) return false;
    for (let i = 0; i < this.listening.length; i++) {
      const s = this.listening[i]!;
      if (s.port === port && (s.proto === 'tcp' ? 6 : 17) === proto && (s.addr === 0 || s.addr === addr)) return true;
    }
    return false;
  }

  /** Does br_netfilter hand this bridge's IPv4 traffic to iptables? (global sysctl or per-bridge flag) */
  bridgeCallsIptables(bridgeId: number): boolean {
    return this.sysctls.bridgeNfCallIptables === 1 || this.ifaces[bridgeId]!.nfCallIptables;
  }

  /**
   * inet_select_addr(dev, dst, scope): the first primary address of `dev` within `scope` whose subnet holds
   * `dst` (dst 0 = any), else the first primary of suitable scope on `dev`, else the first address of
   * universe/site scope on any other device. 0 when there is none.
   */
  selectAddr(dev: number, dst: number, scope: number): number {
    let addr = 0;
    const d = dev >= 0 ? this.ifaces[dev] : undefined;
    if (d !== undefined) {
      for (const a of d.addrs) {
        if (a.secondary) continue;
        // RT_SCOPE_LINK is the "localnet" bound for 127/8 handling; plain comparison otherwise
        if (a.scope > scope) continue;
        if (dst === 0 || sameSubnet(a.local, dst, a.prefixLen)) return a.local;
        if (addr === 0) addr = a.local;
      }
    }
    if (addr !== 0) return addr;
    for (const other of this.ifaces) {
      if (other.id === dev) continue;
      for (const a of other.addrs) {
        if (a.secondary) continue;
        if (a.scope !== Scope.LINK && a.scope !== Scope.HOST && a.scope <= scope) return a.local;
      }
    }
    return 0;
  }

  /**
   * ip_check_mc_rcu: has `dev` joined IPv4 group `group`? From ip-maddr.json when the snapshot has it, else
   * only 224.0.0.1, which every multicast-capable interface joins.
   */
  joinedGroup(dev: number, group: number): boolean {
    const g = this.ifaces[dev]?.mcastGroups;
    return g === null || g === undefined ? group === 0xe0000001 : g.has(group);
  }

  /** inet_addr_onlink(dev, a, b): one address of `dev` has a subnet holding `a` and, unless b is 0, `b`. */
  onLink(dev: number, a: number, b: number): boolean {
    for (const x of this.ifaces[dev]!.addrs) {
      if (sameSubnet(x.local, a, x.prefixLen) && (b === 0 || sameSubnet(x.local, b, x.prefixLen))) return true;
    }
    return false;
  }

  /** The neighbour the snapshot lists for addr on dev, if any. */
  neighbour(dev: number, addr: number): HostNeighbour | undefined {
    for (const n of this.neighbours) if (n.dev === dev && n.addr === addr) return n;
    return undefined;
  }
}

function sameSubnet(a: number, b: number, len: number): boolean {
  if (len === 0) return true;
  const m = len >= 32 ? 0xffffffff : (0xffffffff << (32 - len)) >>> 0;
  return ((a & m) >>> 0) === ((b & m) >>> 0);
}

function listenKey(proto: number, port: number): number {
  return proto * 65536 + port;
}

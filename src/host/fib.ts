// The IPv4 FIB as the kernel uses it without policy-routing rules: the local table aliased onto main (one
// trie, fib_new_table), longest-prefix match, local routes before main ones at equal length, lower metric
// first. Mirrors fib_table_lookup for lookups and __inet_dev_addr_type for address types.

import type { HostRoute } from './types.js';
import { RouteType } from './types.js';
import { prefixMask } from '../util/ipv4.js';
import { AddrType } from '../netfilter/skb.js';

export class Fib {
  /** Prefix lengths present, longest first. */
  private readonly lengths: number[];
  /** Per prefix length: masked destination → best route. */
  private readonly byLen: Map<number, HostRoute>[];
  readonly routes: readonly HostRoute[];
  /**
   * net->ipv4.fib_has_custom_local_routes: a local route someone added (inet_rtm_newroute), not one the
   * kernel made for an address. fib_validate_source then checks sources against the FIB, not the addresses.
   */
  readonly customLocalRoutes: boolean;

  constructor(routes: readonly HostRoute[]) {
    this.routes = routes;
    this.customLocalRoutes = routes.some((r) => r.type === RouteType.LOCAL && r.protocol !== 'kernel');
    this.byLen = [];
    for (let i = 0; i <= 32; i++) this.byLen.push(new Map());
    for (const r of routes) {
      const key = (r.dst & prefixMask(r.prefixLen)) >>> 0;
      const m = this.byLen[r.prefixLen]!;
      const cur = m.get(key);
      if (cur === undefined || better(r, cur)) m.set(key, r);
    }
    this.lengths = [];
    for (let len = 32; len >= 0; len--) if (this.byLen[len]!.size > 0) this.lengths.push(len);
  }

  /** A direct-mapped cache of recent answers (the FIB never changes after load). */
  private readonly cacheAddr = new Float64Array(4096).fill(-1);
  private readonly cacheRoute: (HostRoute | null)[] = new Array<HostRoute | null>(4096).fill(null);

  /** Longest-prefix match for `daddr`, or null when no route exists (ENETUNREACH). HOT. */
  lookup(daddr: number): HostRoute | null {
    const slot = (Math.imul(daddr, 0x9e3779b1) >>> 20) & 4095;
    if (this.cacheAddr[slot] === daddr) return this.cacheRoute[slot]!;
    const r = this.lookupSlow(daddr);
    this.cacheAddr[slot] = daddr;
    this.cacheRoute[slot] = r;
    return r;
  }

  private lookupSlow(daddr: number): HostRoute | null {
    const lengths = this.lengths;
    for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i]!;
      const r = this.byLen[len]!.get((daddr & prefixMask(len)) >>> 0);
      if (r !== undefined) return r;
    }
    return null;
  }

  /**
   * Longest-prefix match among the routes whose device is `dev` (fib_lookup with flowi4_oif set: other
   * nexthops are skipped), or null. Not cached: only fib_validate_source's second lookup uses it.
   */
  lookupVia(daddr: number, dev: number): HostRoute | null {
    let best: HostRoute | null = null;
    for (const r of this.routes) {
      if (r.dev !== dev || ((daddr ^ r.dst) & prefixMask(r.prefixLen)) !== 0) continue;
      if (best === null || r.prefixLen > best.prefixLen || (r.prefixLen === best.prefixLen && better(r, best))) best = r;
    }
    return best;
  }

  /**
   * AddrType bit of `addr` (xt_addrtype, inet_dev_addr_type): zeronet and limited broadcast are BROADCAST,
   * 224/4 MULTICAST, otherwise the type of the matching route — UNICAST when none matches or when `limitIf`
   * names a device other than the route's. HOT.
   */
  addrType(addr: number, limitIf: number): number {
    if ((addr & 0xff000000) === 0 || addr === 0xffffffff) return AddrType.BROADCAST;
    if ((addr & 0xf0000000) >>> 0 === 0xe0000000) return AddrType.MULTICAST;
    const r = this.lookup(addr);
    if (r === null) return AddrType.UNICAST;
    if (limitIf >= 0 && r.dev !== limitIf) return AddrType.UNICAST;
    return 1 << r.type;
  }

  /** Is `addr` one of this host's addresses (a local-type route)? HOT. */
  isLocal(addr: number): boolean {
    const r = this.lookup(addr);
    return r !== null && r.type === RouteType.LOCAL;
  }
}

/** Between two routes of equal prefix: local table first (rule priority 0), then lower metric. */
function better(a: HostRoute, b: HostRoute): boolean {
  const al = a.table === 'local' ? 0 : 1;
  const bl = b.table === 'local' ? 0 : 1;
  if (al !== bl) return al < bl;
  return a.metric < b.metric;
}

// One IPv4 routing table (struct fib_table): longest-prefix match, and between routes of equal prefix the
// local table's before main's (when the two are merged into one trie) and then the lower metric. Mirrors
// fib_table_lookup, without and with an output device (flowi4_oif: nexthops on other devices are skipped).

import type { HostRoute } from './types.js';
import { prefixMask } from '../util/ipv4.js';

const CACHE_SLOTS = 4096;

export class FibTable {
  /** Prefix lengths present, longest first. */
  private readonly lengths: number[];
  /** Per prefix length: masked destination → best route. */
  private readonly byLen: Map<number, HostRoute>[];
  /** A direct-mapped cache of recent answers (a table never changes after load). */
  private readonly cacheAddr = new Float64Array(CACHE_SLOTS).fill(-1);
  private readonly cacheRoute: (HostRoute | null)[] = new Array<HostRoute | null>(CACHE_SLOTS).fill(null);

  constructor(readonly routes: readonly HostRoute[]) {
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

  /** Longest-prefix match for `daddr`, or null when the table has no route for it. HOT. */
  lookup(daddr: number): HostRoute | null {
    const slot = (Math.imul(daddr, 0x9e3779b1) >>> 20) & (CACHE_SLOTS - 1);
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
   * Longest-prefix match among the routes whose device is `dev` (fib_table_lookup with flowi4_oif set:
   * other nexthops are skipped and the search goes on to shorter prefixes), or null. Not cached: only
   * reverse-path checks use it.
   */
  lookupVia(daddr: number, dev: number): HostRoute | null {
    let best: HostRoute | null = null;
    for (const r of this.routes) {
      if (r.dev !== dev || ((daddr ^ r.dst) & prefixMask(r.prefixLen)) !== 0) continue;
      if (best === null || r.prefixLen > best.prefixLen || (r.prefixLen === best.prefixLen && better(r, best))) best = r;
    }
    return best;
  }
}

/** Between two routes of equal prefix: the local table's first (its aliases sort first), then lower metric. */
function better(a: HostRoute, b: HostRoute): boolean {
  const al = a.table === 'local' ? 0 : 1;
  const bl = b.table === 'local' ? 0 : 1;
  if (al !== bl) return al < bl;
  return a.metric < b.metric;
}

/** Does route `r`, or any nexthop of it when it is multipath, leave by `dev` (fib_info_nh_uses_dev)? */
export function usesDevice(r: HostRoute, dev: number): boolean {
  if (r.nexthops === undefined) return r.dev === dev;
  for (const h of r.nexthops) if (h.dev === dev) return true;
  return false;
}

// Choosing a multipath route's nexthop (fib_select_multipath). The kernel hashes the flow with a seed drawn
// at random per network namespace (fib_multipath_hash, policy 0: source and destination address), so no
// snapshot can predict its choice: the choice the capture shows for a flow (the device the host sent it
// out of) is used, and flows the capture does not show get a seeded stand-in hash over the same bounds.

import type { HostRoute } from '../../host/types.js';
import type { RouteKey } from '../../host/fib-rules.js';
import { mix32 } from '../../util/hash.js';

/** Per destination: the device each source's flows left by, and the device any flow to it left by. */
export class LearnedNexthops {
  private readonly bySrc = new Map<number, Map<number, number>>();
  private readonly byDst = new Map<number, number>();
  size = 0;

  /** The capture shows the host sending a packet of the flow `saddr` → `daddr` out of `dev`. */
  note(saddr: number, daddr: number, dev: number): void {
    let m = this.bySrc.get(daddr);
    if (m === undefined) this.bySrc.set(daddr, (m = new Map()));
    if (!m.has(saddr)) {
      m.set(saddr, dev);
      this.size++;
    }
    if (!this.byDst.has(daddr)) this.byDst.set(daddr, dev);
  }

  /** The device the flow left by, or -1 when the capture does not say. HOT. */
  deviceOf(saddr: number, daddr: number): number {
    const m = this.bySrc.get(daddr);
    if (m === undefined) return -1;
    return m.get(saddr) ?? (saddr === 0 ? (this.byDst.get(daddr) ?? -1) : -1);
  }
}

export class NexthopChooser {
  constructor(
    private readonly seed: number,
    private readonly learned: LearnedNexthops | null,
  ) {}

  /** The nexthop of multipath route `r` the flow `k` takes (r itself when it has one nexthop). HOT. */
  choose(r: HostRoute, k: RouteKey): HostRoute {
    const hops = r.nexthops;
    if (hops === undefined) return r;
    const dev = this.learned !== null ? this.learned.deviceOf(k.saddr, k.daddr) : -1;
    if (dev >= 0) {
      for (let i = 0; i < hops.length; i++) if (hops[i]!.dev === dev) return hops[i]!;
    }
    // fib_select_multipath: the first nexthop whose upper bound is at least the 31-bit hash
    const hash = mix32(Math.imul(this.seed ^ k.saddr, 0x9e3779b1) ^ k.daddr) >>> 1;
    const bounds = r.upperBounds!;
    for (let i = 0; i < hops.length; i++) if (hash <= bounds[i]!) return hops[i]!;
    return hops[hops.length - 1]!;
  }
}

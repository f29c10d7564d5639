// ICMP output rate limiting as net/ipv4/icmp.c and inetpeer.c do it, on virtual time in jiffies (HZ 250):
// the global token bucket (icmp_msgs_per_sec, icmp_msgs_burst; each message consumes 0-2 credits drawn at
// random) for types in icmp_ratemask except frag-needed, and the per-destination inet_peer bucket
// (icmp_ratelimit, burst 6x). ip_error's own per-peer limit (ip_rt_error_cost = HZ, burst 5 HZ) too.

import type { HostSysctls } from '../../host/sysctl.js';
import type { Prng } from '../../util/prng.js';

export const HZ = 250;
const XRLIM_BURST_FACTOR = 6;
const ICMP_DEST_UNREACH = 3;
const ICMP_FRAG_NEEDED = 4;
/** route.c: ip_rt_redirect_number, ip_rt_redirect_load (HZ / 50), ip_rt_redirect_silence (load << 10). */
const REDIRECT_NUMBER = 9;
const REDIRECT_LOAD = HZ / 50;
const REDIRECT_SILENCE = REDIRECT_LOAD << 10;

/** Jiffies at virtual time `ns` (the epoch is arbitrary; only differences matter). */
export function jiffies(ns: number): number {
  return Math.floor((ns * HZ) / 1e9);
}

class PeerBucket {
  tokens = 0;
  /** rate_last: shared by the token bucket and the redirect backoff, as in struct inet_peer. */
  last: number;
  /** n_redirects: redirects sent to this peer since the last silence. */
  redirects = 0;
  constructor(now: number) {
    // inet_getpeer: rate_last = jiffies - 60 * HZ so the first check starts with a full burst
    this.last = now - 60 * HZ;
  }
}

export class IcmpLimiter {
  private credit = 0;
  private stamp = -Infinity;
  /** inet_peer rate state per destination, shared by icmp_send and ip_error as in the kernel. */
  private readonly peers = new Map<number, PeerBucket>();
  limitedGlobal = 0;
  limitedHost = 0;

  constructor(
    private readonly sys: HostSysctls,
    private readonly rng: Prng,
  ) {}

  /** icmpv4_mask_allow: true when the type is not rate limited at all. */
  private maskAllow(type: number, code: number): boolean {
    if (type > 18) return true;
    if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) return true;
    return ((1 << type) & this.sys.icmpRatemask) === 0;
  }

  /**
   * icmpv4_global_allow. Returns 0 (refused), 1 (allowed, no further limiting) or 2 (allowed; the peer
   * limit applies: `apply_ratelimit`).
   */
  globalAllow(type: number, code: number, nowNs: number): number {
    if (this.maskAllow(type, code)) return 1;
    if (this.credit > 0) return 2;
    const now = jiffies(nowNs);
    const delta = Math.min(now - this.stamp, HZ);
    if (delta < HZ / 50) {
      this.limitedGlobal++;
      return 0;
    }
    const incr = Math.floor((this.sys.icmpMsgsPerSec * delta) / HZ);
    if (incr === 0) {
      this.limitedGlobal++;
      return 0;
    }
    this.stamp = now;
    this.credit = Math.min(this.credit + incr, this.sys.icmpMsgsBurst);
    return 2;
  }

  /** icmpv4_xrlim_allow for a message to `daddr` (after globalAllow said 2). */
  peerAllow(daddr: number, outLoopback: boolean, nowNs: number): boolean {
    let rc = true;
    if (!outLoopback) rc = xrlimAllow(this.peers, daddr, jiffies(nowNs), this.sys.icmpRatelimitMs * HZ / 1000, XRLIM_BURST_FACTOR);
    if (!rc) this.limitedHost++;
    else {
      // icmp_global_consume: 0, 1 or 2 credits
      const credits = this.rng.below(3);
      this.credit -= credits;
    }
    return rc;
  }

  /**
   * ip_rt_send_redirect's backoff for redirects to `saddr`: after ip_rt_redirect_silence without one the
   * peer starts over; the first goes at once, the next after ip_rt_redirect_load << n jiffies, and after
   * ip_rt_redirect_number of them none until the silence. True when one may be sent now (and counts it).
   */
  redirectAllow(saddr: number, nowNs: number): boolean {
    const now = jiffies(nowNs);
    const b = peerOf(this.peers, saddr, now);
    if (now > b.last + REDIRECT_SILENCE) {
      b.tokens = 0;
      b.redirects = 0;
    }
    if (b.redirects >= REDIRECT_NUMBER) {
      b.last = now;
      return false;
    }
    if (b.redirects !== 0 && !(now > b.last + (REDIRECT_LOAD << b.redirects))) return false;
    b.last = now;
    b.redirects++;
    return true;
  }

  /** ip_error's limit on ICMP unreachables for routing errors (ip_rt_error_cost, ip_rt_error_burst). */
  routeErrorAllow(daddr: number, nowNs: number): boolean {
    return xrlimAllow(this.peers, daddr, jiffies(nowNs), HZ, 5);
  }
}

/** The inet_peer of `addr`, created on first use. */
function peerOf(map: Map<number, PeerBucket>, addr: number, now: number): PeerBucket {
  let b = map.get(addr);
  if (b === undefined) {
    if (map.size >= 65536) map.clear(); // inet_peer GC stand-in: bounded memory
    b = new PeerBucket(now);
    map.set(addr, b);
  }
  return b;
}

/** inet_peer_xrlim_allow with the bucket created on first use. */
function xrlimAllow(map: Map<number, PeerBucket>, daddr: number, now: number, timeout: number, burstFactor: number): boolean {
  const b = peerOf(map, daddr, now);
  let token = b.tokens;
  const delta = now - b.last;
  if (delta !== 0) {
    b.last = now;
    token += delta;
    if (token > burstFactor * timeout) token = burstFactor * timeout;
  }
  let rc = false;
  if (token >= timeout) {
    token -= timeout;
    rc = true;
  }
  b.tokens = token;
  return rc;
}

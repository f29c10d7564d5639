// Hash-chain walks as a viewer (vCPU, time) sees the table: ____nf_conntrack_find (reaping expired entries
// on the way), nf_conntrack_tuple_taken, early_drop (NF_CT_EVICTION_RANGE buckets from the new tuple's
// bucket) and the by-source walk of find_appropriate_src. All allocation-free.

import { CtStatus } from '../skb.js';
import {
  R_BYSRC_NEXT,
  R_NEXT_O,
  R_NEXT_R,
  R_OSPORT,
  R_OSRC,
  R_PROTO,
  R_STATE,
  R_STRIDE,
  R_ZONE,
  RecState,
  V_STATUS,
  V_STRIDE,
} from './layout.js';
import type { Lifecycle } from './lifecycle.js';
import type { CtTable } from './table.js';
import type { Tuple } from './tuple.js';
import { bySourceKey, zoneIdFor } from './tuple.js';
import type { Versions } from './versions.js';

const NF_CT_EVICTION_RANGE = 8;

/** Next link after `link` in its chain. HOT. */
export function nextLink(R: Int32Array, link: number): number {
  const i = (link - 1) >> 1;
  return R[i * R_STRIDE + (((link - 1) & 1) === 0 ? R_NEXT_O : R_NEXT_R)]!;
}

/**
 * nf_ct_key_equal: does the tuple hashed under `link` equal `tu`, in `zone` (packed) as seen from that
 * link's direction (nf_ct_zone_equal)? HOT.
 */
export function linkMatches(R: Int32Array, link: number, tu: Tuple, zone: number): boolean {
  const i = (link - 1) >> 1;
  const dir = (link - 1) & 1;
  const b = i * R_STRIDE;
  const o = b + R_OSRC + dir * 4;
  return (
    R[o] === (tu.src | 0) &&
    R[o + 1] === (tu.dst | 0) &&
    R[o + 2] === tu.sport &&
    R[o + 3] === tu.dport &&
    R[b + R_PROTO] === tu.proto &&
    zoneIdFor(R[b + R_ZONE]!, dir) === zoneIdFor(zone, dir)
  );
}

/** Does entry `i`'s ORIGINAL tuple equal entry `j`'s ORIGINAL tuple? */
export function sameOriginal(R: Int32Array, i: number, j: number): boolean {
  const a = i * R_STRIDE;
  const b = j * R_STRIDE;
  return (
    R[a + R_PROTO] === R[b + R_PROTO] &&
    R[a + R_OSRC] === R[b + R_OSRC] &&
    R[a + R_OSRC + 1] === R[b + R_OSRC + 1] &&
    R[a + R_OSRC + 2] === R[b + R_OSRC + 2] &&
    R[a + R_OSRC + 3] === R[b + R_OSRC + 3] &&
    zoneIdFor(R[a + R_ZONE]!, 0) === zoneIdFor(R[b + R_ZONE]!, 0)
  );
}

export class Lookup {
  readonly t: CtTable;
  readonly ver: Versions;
  readonly life: Lifecycle;

  constructor(table: CtTable, ver: Versions, life: Lifecycle) {
    this.t = table;
    this.ver = ver;
    this.life = life;
  }

  /**
   * ____nf_conntrack_find: the first live entry visible to (v, time) hashed under `tu`, as an encoded link
   * (entry = (link - 1) >> 1, direction = (link - 1) & 1), or 0. Expired entries met on the way are reaped
   * when no viewer can still see them alive. HOT.
   */
  find(tu: Tuple, v: number, time: number): number {
    const t = this.t;
    const R = t.R;
    let link = Atomics.load(t.heads, t.bucketOf(tu.src, tu.dst, tu.sport, tu.dport, tu.proto, zoneIdFor(tu.zone, 0)));
    while (link !== 0) {
      const next = nextLink(R, link);
      const idx = (link - 1) >> 1;
      if (this.ver.visible(idx, v, time)) {
        if (this.ver.expired(this.ver.view(idx, v, time), time)) {
          if (this.life.reapable(idx, time)) this.life.reap(idx);
        } else if (linkMatches(R, link, tu, tu.zone)) {
          return link;
        }
      }
      link = next;
    }
    return 0;
  }

  /**
   * nf_conntrack_tuple_taken: `tu` (a candidate REPLY tuple, in `ignored`'s zone) is used by a live entry
   * other than `ignored` visible to (v, time), not counting an entry with the same ORIGINAL tuple. HOT.
   */
  taken(tu: Tuple, ignored: number, v: number, time: number): boolean {
    const t = this.t;
    const R = t.R;
    const zone = ignored >= 0 ? R[ignored * R_STRIDE + R_ZONE]! : tu.zone;
    let link = Atomics.load(t.heads, t.bucketOf(tu.src, tu.dst, tu.sport, tu.dport, tu.proto, zoneIdFor(zone, 1)));
    while (link !== 0) {
      const next = nextLink(R, link);
      const idx = (link - 1) >> 1;
      if (idx !== ignored && this.ver.visible(idx, v, time)) {
        if (this.ver.expired(this.ver.view(idx, v, time), time)) {
          if (this.life.reapable(idx, time)) this.life.reap(idx);
        } else if (linkMatches(R, link, tu, zone)) {
          // identical ORIGINAL tuples refer to the same flow: left to nf_ct_resolve_clash
          if (ignored < 0 || !sameOriginal(R, idx, ignored)) return true;
        }
      }
      link = next;
    }
    return false;
  }

  /**
   * early_drop: from the bucket of hash `bucket0`, delete every non-ASSURED confirmed entry (as the killer
   * packet (v, s) sees them) of the first of up to 8 buckets that has any. Returns how many died. HOT.
   */
  earlyDrop(bucket0: number, v: number, s: number): number {
    const t = this.t;
    const R = t.R;
    let bucket = bucket0;
    for (let i = 0; i < NF_CT_EVICTION_RANGE; i++) {
      if (i > 0) bucket = (bucket + 1) % t.buckets;
      let drops = 0;
      let link = Atomics.load(t.heads, bucket);
      while (link !== 0) {
        const next = nextLink(R, link);
        const idx = (link - 1) >> 1;
        if (this.ver.visible(idx, v, s)) {
          const slot = this.ver.view(idx, v, s);
          if (this.ver.expired(slot, s)) {
            if (this.life.reapable(idx, s)) this.life.reap(idx);
          } else if ((t.V[slot * V_STRIDE + V_STATUS]! & CtStatus.ASSURED) === 0 && R[idx * R_STRIDE + R_STATE] === RecState.CONFIRMED) {
            if (this.life.kill(idx, v, s)) drops++;
          }
        }
        link = next;
      }
      if (drops > 0) return drops;
    }
    return 0;
  }

  /**
   * find_appropriate_src walk: from `start` (an entry, or -1 for the chain head) the next confirmed, live,
   * visible entry whose ORIGINAL source is (src, sport) and whose protocol and ORIGINAL zone id make
   * `protoKey` (proto | zone id << 8); -1 at the end. HOT.
   */
  bySource(start: number, src: number, sport: number, protoKey: number, v: number, time: number): number {
    const t = this.t;
    const R = t.R;
    let p = start < 0 ? Atomics.load(t.bysrc, t.bySrcBucket(src >>> 0, sport, protoKey)) : R[start * R_STRIDE + R_BYSRC_NEXT]!;
    while (p !== 0) {
      const idx = p - 1;
      const b = idx * R_STRIDE;
      const key = bySourceKey(R[b + R_PROTO]!, R[b + R_ZONE]!);
      if (R[b + R_OSRC] === (src | 0) && R[b + R_OSPORT] === sport && key === protoKey && this.ver.visible(idx, v, time)) {
        if (!this.ver.expired(this.ver.view(idx, v, time), time)) return idx;
      }
      p = R[b + R_BYSRC_NEXT]!;
    }
    return -1;
  }
}

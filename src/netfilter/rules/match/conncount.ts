// nf_conncount (net/netfilter/nf_conncount.c) as `-m connlimit` uses it: per key (the masked address and
// the zone id), the list of connection tuples seen, each checked against conntrack on the next add and
// dropped when its entry is gone or TCP-closed; count_tree / insert_tree / __nf_conncount_add /
// find_or_evict, with the skb-based API (a confirmed connection is never added twice) and the garbage
// collection that runs at most once per jiffy unless CONNCOUNT_GC_MAX_COLLECT connections arrived since.
//
// Not modelled: the rbtree walk of insert_tree collecting *other* keys' lists and the asynchronous
// tree_gc_worker. Both only free lists early; the walk order depends on a boot-time random hash.

import type { Skb } from '../../skb.js';
import { CtTmpl, NONE } from '../../skb.js';
import { packZone, Tuple } from '../../conntrack/tuple.js';
import type { RuleConntrack } from '../rule-conntrack.js';

/** CONNCOUNT_GC_MAX_COLLECT: connections a GC pass may drop, and arrivals after which a same-jiffy GC runs. */
const GC_MAX_COLLECT = 64;

/** struct nf_conncount_tuple. */
class ConnTuple {
  constructor(
    readonly proto: number,
    readonly src: number,
    readonly dst: number,
    readonly sport: number,
    readonly dport: number,
    /** Packed zone (Tuple.zone). */
    readonly zone: number,
    /** raw_smp_processor_id() of the adder: the vCPU. */
    readonly cpu: number,
    readonly jiffies32: number,
  ) {}
}

/** struct nf_conncount_list. */
class ConnList {
  conns: ConnTuple[] = [];
  lastGc: number;
  lastGcCount = 0;
  constructor(jiffies: number) {
    this.lastGc = jiffies;
  }
}

/** nf_ct_zone_id(zone, dir): the id when the zone covers direction `dir`, else the default zone's 0. */
function zoneId(packed: number, dir: number): number {
  return ((packed >>> 16) & (1 << dir)) !== 0 ? packed & 0xffff : 0;
}

/**
 * nf_ct_zone_equal(found, zone, zone->dir) as __nf_conncount_add calls it: the zone's direction bits are
 * passed where a direction is expected, so both sides compare as the kernel computes them.
 */
function zoneEqual(a: number, b: number): boolean {
  const dirArg = b >>> 16;
  const ida = dirArg < 31 && ((a >>> 16) & (1 << dirArg)) !== 0 ? a & 0xffff : 0;
  const idb = dirArg < 31 && ((b >>> 16) & (1 << dirArg)) !== 0 ? b & 0xffff : 0;
  return ida === idb;
}

/** The per-rule nf_conncount_data of one connlimit rule. */
export class ConnCount {
  private readonly lists = new Map<number, ConnList>();
  /** The tuple and entry of the packet being counted (get_ct_or_tuple_from_skb). */
  private readonly tu = new Tuple();
  private ct = NONE;
  private readonly probe = new Tuple();

  /** jiffies as xt_limit computes them from capture time. */
  constructor(private readonly hz: number) {}

  /**
   * nf_conncount_count_skb for `key` (masked address * 65536 + zone id): the number of connections counted
   * with the packet's, or 0 when none can be (the caller hot-drops). Allocates only for a new connection.
   */
  count(skb: Skb, c: RuleConntrack, key: number): number {
    const jiffies = Math.floor((skb.nowNs * this.hz) / 1e9) >>> 0;
    const list = this.lists.get(key);
    if (list !== undefined && list.conns.length > 0) return this.add(skb, c, list, jiffies) ? list.conns.length : 0;
    // insert_tree: an emptied list still in the tree is added to as usual
    if (list !== undefined) return this.add(skb, c, list, jiffies) ? list.conns.length : 0;
    if (!this.ctOrTuple(skb, c)) return 0;
    const fresh = new ConnList(jiffies);
    fresh.conns.push(this.connFor(skb, jiffies));
    this.lists.set(key, fresh);
    return 1;
  }

  /** get_ct_or_tuple_from_skb: the packet's entry (not a template) and its ORIGINAL tuple, or the packet's own tuple and the entry holding it. */
  private ctOrTuple(skb: Skb, c: RuleConntrack): boolean {
    if (skb.ct !== NONE && skb.untracked === 0) {
      c.originalTuple(skb.ct, this.tu);
      this.ct = skb.ct;
      return true;
    }
    this.ct = NONE;
    if (!c.packetTuple(skb, this.tu)) return false;
    this.tu.zone = (skb.ctTmpl & CtTmpl.ATTACHED) === 0 ? 0 : (skb.ctTmpl & CtTmpl.ZONE_FROM_MARK) !== 0 ? packZone(skb.mark & 0xffff, skb.ctZone >>> 16) : skb.ctZone;
    this.ct = c.find(this.tu, skb);
    return true;
  }

  private connFor(skb: Skb, jiffies: number): ConnTuple {
    const t = this.tu;
    return new ConnTuple(t.proto, t.src, t.dst, t.sport, t.dport, t.zone, skb.vcpu, jiffies);
  }

  /** __nf_conncount_add: false for -ENOENT (no tuple), true otherwise (added or already present). */
  private add(skb: Skb, c: RuleConntrack, list: ConnList, jiffies: number): boolean {
    if (!this.ctOrTuple(skb, c)) return false;
    if (this.ct !== NONE && c.isConfirmed(this.ct)) return true;
    const tu = this.tu;
    if (!(jiffies === list.lastGc && list.conns.length - list.lastGcCount < GC_MAX_COLLECT)) {
      let collect = 0;
      const conns = list.conns;
      for (let i = 0; i < conns.length; ) {
        if (collect > GC_MAX_COLLECT) break;
        const conn = conns[i]!;
        const same = conn.proto === tu.proto && conn.src === tu.src && conn.dst === tu.dst && conn.sport === tu.sport && conn.dport === tu.dport;
        this.probe.set(conn.src, conn.dst, conn.sport, conn.dport, conn.proto).zone = conn.zone;
        const found = c.find(this.probe, skb);
        if (found === NONE) {
          // find_or_evict: a connection added by another CPU less than two jiffies ago may be unconfirmed
          if (conn.cpu === skb.vcpu || ((jiffies - conn.jiffies32) >>> 0) >= 2) {
            conns.splice(i, 1);
            collect++;
            continue;
          }
          if (same && zoneId(conn.zone, conn.zone >>> 16) === zoneId(tu.zone, tu.zone >>> 16)) return true;
          i++;
          continue;
        }
        if (same && zoneEqual(this.zoneOf(c, found), tu.zone)) return true;
        if (c.closed(found, skb)) {
          conns.splice(i, 1);
          collect++;
          continue;
        }
        i++;
      }
      list.lastGc = jiffies;
      list.lastGcCount = list.conns.length;
    }
    list.conns.push(this.connFor(skb, jiffies));
    return true;
  }

  /** The packed zone of entry `ct` (its ORIGINAL tuple carries it). */
  zoneOf(c: RuleConntrack, ct: number): number {
    c.originalTuple(ct, this.probe);
    return this.probe.zone;
  }
}

// ipset contents for `-m set` and the SET target: the kernel keeps sets outside iptables, so a rule set that
// uses them needs the sets supplied separately, as `ipset save` text. This file owns the set and catalog
// interfaces as the rules see them (ip_set_test, ip_set_add, ip_set_del of net/netfilter/ipset/ip_set_core.c)
// and the per-load live copy that every -m set and SET rule of one load shares (ipset-parse.ts reads the text).

import type { Skb } from '../skb.js';
import type { LoadContext } from './module.js';

/** What a packet-time add or delete did (ip_set_add / ip_set_del: 0 or the kernel's negative error). */
export const AdtResult = {
  OK: 0,
  /** -IPSET_ERR_TYPE_MISMATCH: the rule gives fewer src/dst flags than the set has dimensions. */
  TYPE_MISMATCH: 1,
  /** -EINVAL: the packet lacks the field (no port in a later fragment or a cut header; hash:ip address 0). */
  INVALID: 2,
  /** -IPSET_ERR_EXIST: add of an element already in (without --exist), delete of one not in. */
  EXIST: 3,
  /** -IPSET_ERR_HASH_FULL: maxelem reached. */
  FULL: 4,
  /** -IPSET_ERR_BITMAP_RANGE: outside the range of a bitmap set. */
  RANGE: 5,
} as const;

/** IPSET_NO_TIMEOUT: no `--timeout` given, the set's default timeout applies. */
export const IPSET_NO_TIMEOUT = -1;

/** IPSET_MAX_TIMEOUT, (UINT_MAX >> 1) / MSEC_PER_SEC seconds: longer timeouts are cut to it. */
export const IPSET_MAX_TIMEOUT = 2147483;

/** One set: its type (`hash:ip`, `hash:net,port`, ...), dimension count, membership test, add and delete. */
export interface IpSet {
  readonly name: string;
  readonly type: string;
  readonly family: 4 | 6;
  /** Number of dimensions of an element (hash:ip 1, hash:ip,port 2, hash:ip,port,ip 3). */
  readonly dimensions: number;
  /**
   * HOT: ip_set_test: is the packet's (address/port per dimension) tuple in the set? Bit i of `srcFlags` set =
   * dimension i reads the source side, clear = destination side (the `src,dst` flags of `--match-set`). With
   * `returnNomatch` (`--return-nomatch`), a set type that has nomatch entries answers the other way round: an
   * element found as nomatch is in, one found normally is not. Elements whose timeout ran out (at the
   * packet's `skb.nowNs`) are not in.
   */
  test(skb: Skb, srcFlags: number, returnNomatch: boolean): boolean;
  /**
   * HOT: ip_set_add from the SET target: add the packet's element. `dims` is the number of src/dst flags the
   * rule gave, `timeout` seconds or IPSET_NO_TIMEOUT (the set's default), `exist` IPSET_FLAG_EXIST (an
   * element already in gets its timeout restarted instead of the add failing). Returns an AdtResult.
   */
  kadd(skb: Skb, srcFlags: number, dims: number, timeout: number, exist: boolean): number;
  /** HOT: ip_set_del from the SET target: delete the packet's element. Returns an AdtResult. */
  kdel(skb: Skb, srcFlags: number, dims: number): number;
  /** A copy with its own elements, expiring on jiffies of `hz` (list:set members are bound by the catalog). */
  clone(hz: number): IpSet;
}

/** The supplied sets by name. */
export interface IpSetCatalog {
  get(name: string): IpSet | undefined;
  names(): string[];
  /** A copy whose sets have their own elements: the live sets of one rule-set load. */
  fork(hz: number): IpSetCatalog;
}

/**
 * The live sets of one rule-set load: forked from the supplied catalog the first time a rule of the load
 * asks, then shared by every `-m set` and SET rule of that load, so that what SET adds is what `-m set`
 * sees, while the supplied catalog stays as read and another load (another replay) starts from it afresh.
 */
export function liveIpsets(ctx: LoadContext): IpSetCatalog | null {
  const cat = ctx.ipsets;
  if (cat === null) return null;
  return ctx.shared('ipset:live', () => cat.fork(ctx.hz));
}

/** Jiffies at virtual time `ns` for `hz` (as -m recent and -m limit count them). HOT. */
export function jiffiesAt(ns: number, hz: number): number {
  return Math.floor((ns * hz) / 1e9);
}

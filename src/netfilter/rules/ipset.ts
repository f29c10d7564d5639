// ipset contents for `-m set`: the kernel keeps sets outside iptables, so a rule set that uses them needs the
// sets supplied separately, as `ipset save` text (`create NAME TYPE ...` / `add NAME ELEMENT`). This file
// owns the catalog interface the set match uses and its implementation (see ipset-parse.ts for the reader).

import type { Skb } from '../skb.js';

/** One set: its type (`hash:ip`, `hash:net,port`, ...), dimension count and a membership test. */
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
   * element found as nomatch is in, one found normally is not.
   */
  test(skb: Skb, srcFlags: number, returnNomatch: boolean): boolean;
}

/** The supplied sets by name. */
export interface IpSetCatalog {
  get(name: string): IpSet | undefined;
  names(): string[];
}

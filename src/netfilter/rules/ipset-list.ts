// list:set (net/netfilter/ipset/ip_set_list_set.c list_set_ktest / list_set_kadd / list_set_kdel: the
// members in order, expired members skipped) and the catalog of supplied sets, whose fork() gives one
// rule-set load its own live copy with list members bound to the copies.

import type { Skb } from '../skb.js';
import type { IpSet, IpSetCatalog } from './ipset.js';
import { AdtResult, jiffiesAt } from './ipset.js';
import { msecsToJiffies } from './match/hashlimit-credits.js';

/** list:set: a packet is in the list when it is in a member set; adds and deletes go to the first member that takes them. */
export class ListSet implements IpSet {
  readonly type = 'list:set';
  readonly family: 4 | 6 = 4;
  members: IpSet[] = [];
  /** Per member: the jiffies after which it is no longer a member (Infinity: permanent). */
  deadlines: number[] = [];
  /** `timeout` of the create line (seconds; -1: a list without timeouts). */
  timeout = -1;
  hz = 250;
  constructor(readonly name: string) {}

  get dimensions(): number {
    return this.members.reduce((m, s) => Math.max(m, s.dimensions), 1);
  }

  /** Append a member (the reader; `timeout` seconds, 0 or absent = permanent, counted from virtual time 0). */
  addMember(s: IpSet, timeout = 0): void {
    this.members.push(s);
    this.deadlines.push(this.timeout < 0 || timeout === 0 ? Infinity : msecsToJiffies(timeout * 1000, this.hz));
  }

  private now(skb: Skb): number {
    return this.timeout >= 0 ? jiffiesAt(skb.nowNs, this.hz) : 0;
  }

  // HOT: list_set_ktest asks each live member with the same flags
  test(skb: Skb, srcFlags: number, returnNomatch: boolean): boolean {
    const now = this.now(skb);
    for (let i = 0; i < this.members.length; i++) {
      if (this.deadlines[i]! < now) continue;
      if (this.members[i]!.test(skb, srcFlags, returnNomatch)) return true;
    }
    return false;
  }

  // HOT: list_set_kadd: the first live member whose ip_set_add succeeds takes it (one that already holds the
  // element without --exist answers EXIST, and the next member is tried)
  kadd(skb: Skb, srcFlags: number, dims: number, timeout: number, exist: boolean): number {
    const now = this.now(skb);
    for (let i = 0; i < this.members.length; i++) {
      if (this.deadlines[i]! < now) continue;
      if (this.members[i]!.kadd(skb, srcFlags, dims, timeout, exist) === AdtResult.OK) return AdtResult.OK;
    }
    return AdtResult.OK;
  }

  // HOT: list_set_kdel: the first live member whose ip_set_del succeeds
  kdel(skb: Skb, srcFlags: number, dims: number): number {
    const now = this.now(skb);
    for (let i = 0; i < this.members.length; i++) {
      if (this.deadlines[i]! < now) continue;
      if (this.members[i]!.kdel(skb, srcFlags, dims) === AdtResult.OK) return AdtResult.OK;
    }
    return AdtResult.OK;
  }

  /** A copy whose members are still the originals; IpSetFile.fork() binds them to the copies. */
  clone(hz: number): ListSet {
    const c = new ListSet(this.name);
    c.timeout = this.timeout;
    c.hz = hz;
    c.members = this.members.slice();
    c.deadlines = this.deadlines.map((t) => (t === Infinity || hz === this.hz ? t : msecsToJiffies(Math.round((t * 1000) / this.hz), hz)));
    return c;
  }
}

/** Catalog built from `ipset save` text. */
export class IpSetFile implements IpSetCatalog {
  private readonly sets = new Map<string, IpSet>();
  get(name: string): IpSet | undefined {
    return this.sets.get(name);
  }
  names(): string[] {
    return [...this.sets.keys()].sort();
  }
  /** Register a set (parser and tests). */
  put(s: IpSet): void {
    this.sets.set(s.name, s);
  }
  fork(hz: number): IpSetFile {
    const out = new IpSetFile();
    for (const s of this.sets.values()) out.put(s.clone(hz));
    for (const s of out.sets.values()) {
      if (s instanceof ListSet) s.members = s.members.map((m) => out.get(m.name) ?? m);
    }
    return out;
  }
}

// NAT bindings on an unconfirmed conntrack entry: nf_nat_setup_info and nf_nat_alloc_null_binding
// (net/netfilter/nf_nat_core.c), the targets' range rewrites of nf_nat_masquerade_ipv4
// (nf_nat_masquerade.c) and nf_nat_redirect_ipv4 (nf_nat_redirect.c), nf_nat_initialized and the
// masquerade nf_nat_oif_changed check (include/net/netfilter/nf_nat.h).

import { Tuple } from '../conntrack/tuple.js';
import type { Skb } from '../skb.js';
import { CtDir, CtInfo, CtStatus, Hook, NONE, Verdict } from '../skb.js';
import type { NatConntrack } from './ct-ops.js';
import { Manip, NatRange, NatRangeFlag, hookToManip } from './range.js';
import { invertInto, type NatAllocator } from './unique-tuple.js';

/** Host facts the MASQUERADE and REDIRECT targets need (the datapath implements them from the snapshot). */
export interface NatHost {
  /**
   * inet_select_addr(out, nexthop, RT_SCOPE_UNIVERSE): the first primary address of interface `outIf`
   * whose subnet holds `nexthop`, else its first primary address of universe scope; 0 when it has none.
   */
  masqueradeSource(outIf: number, nexthop: number): number;
  /** The first (primary) IPv4 address of input interface `inIf`, 0 when it has none. */
  redirectAddress(inIf: number): number;
}

/** 127.0.0.1: REDIRECT's destination in OUTPUT. */
const LOOPBACK = 0x7f000001;

/**
 * Makes and inspects bindings. One instance per executor (it holds scratch tuples and ranges). The
 * masquerade side array lives in a SharedArrayBuffer indexed by entry handle (nf_conn_nat->masq_index).
 */
export class NatBinder {
  /** masq_index per entry: interface id + 1 of the MASQUERADE out device, 0 = not masqueraded. */
  readonly masqIndex: Int32Array;
  private readonly ct: NatConntrack;
  private readonly alloc: NatAllocator;
  private readonly host: NatHost;
  private readonly curr = new Tuple();
  private readonly next = new Tuple();
  private readonly reply = new Tuple();
  private readonly scratch = new NatRange();

  constructor(ct: NatConntrack, alloc: NatAllocator, host: NatHost, masqIndex?: Int32Array) {
    this.ct = ct;
    this.alloc = alloc;
    this.host = host;
    this.masqIndex = masqIndex ?? new Int32Array(new SharedArrayBuffer(Math.max(1, ct.capacity) * 4));
  }

  /** nf_nat_initialized: has the binding for `manip` been made on entry `ctIdx`? HOT. */
  initialized(ctIdx: number, manip: number, skb: Skb): boolean {
    const done = manip === Manip.SRC ? CtStatus.SRC_NAT_DONE : CtStatus.DST_NAT_DONE;
    return (this.ct.status(ctIdx, skb) & done) !== 0;
  }

  /**
   * nf_nat_setup_info(skb's ct, range, manip): choose the unique tuple, rewrite the REPLY tuple and set
   * IPS_SRC_NAT/IPS_DST_NAT when it changed, register SRC bindings in the by-source index, mark
   * *_NAT_DONE. A confirmed entry is left alone (ACCEPT); a second binding of one manip is a DROP.
   * Refreshes the skb's ct snapshot. HOT (per NEW connection).
   */
  setupInfo(skb: Skb, range: NatRange, manip: number): number {
    return this.setup(skb, range, manip, false);
  }

  /** nf_nat_alloc_null_binding: bind to the packet's current address, no port range (HOOK2MANIP). */
  nullBinding(skb: Skb, hook: number): number {
    const ctIdx = skb.ct;
    if (ctIdx === NONE) return Verdict.ACCEPT;
    const manip = hookToManip(hook);
    // Use REPLY in case it has been mangled already (a local packet DNATed in OUTPUT).
    this.ct.getTuple(ctIdx, CtDir.REPLY, this.reply);
    const ip = manip === Manip.SRC ? this.reply.dst : this.reply.src;
    this.scratch.set(NatRangeFlag.MAP_IPS, ip, ip, 0, 0, 0);
    return this.setup(skb, this.scratch, manip, false);
  }

  /**
   * nf_nat_masquerade_ipv4 (the MASQUERADE target, POST_ROUTING): source = the out device's address
   * towards `nexthop` (the route's gateway, or the destination when on-link). Entries whose original
   * source is 0.0.0.0 are left alone (ACCEPT, no binding); no address on the device → DROP.
   */
  masquerade(skb: Skb, range: NatRange, nexthop: number): number {
    const ctIdx = skb.ct;
    if (ctIdx === NONE) return Verdict.ACCEPT;
    this.ct.getTuple(ctIdx, CtDir.ORIGINAL, this.curr);
    if (this.curr.src === 0) return Verdict.ACCEPT;
    const newsrc = this.host.masqueradeSource(skb.outIf, nexthop) >>> 0;
    if (newsrc === 0) return Verdict.DROP;
    // nf_ct_nat_ext_add only succeeds on unconfirmed entries
    if (!this.ct.isConfirmed(ctIdx)) this.masqIndex[ctIdx] = skb.outIf + 1;
    this.scratch.set(range.flags | NatRangeFlag.MAP_IPS, newsrc, newsrc, range.minProto, range.maxProto, 0);
    return this.setup(skb, this.scratch, Manip.SRC, true);
  }

  /**
   * nf_nat_redirect_ipv4 (the REDIRECT target): DNAT to 127.0.0.1 in OUTPUT, else to the first address
   * of the input device (DROP when it has none). Ports as the rule's range says.
   */
  redirect(skb: Skb, range: NatRange, hook: number): number {
    let newdst: number;
    if (hook === Hook.LOCAL_OUT) {
      newdst = LOOPBACK;
    } else {
      newdst = this.host.redirectAddress(skb.inIf) >>> 0;
      if (newdst === 0) return Verdict.DROP;
    }
    this.scratch.set(range.flags | NatRangeFlag.MAP_IPS, newdst, newdst, range.minProto, range.maxProto, 0);
    return this.setup(skb, this.scratch, Manip.DST, false);
  }

  /**
   * nf_nat_oif_changed: a masqueraded entry whose original-direction packet now leaves through another
   * device than the one MASQUERADE chose (the path then kills the entry and drops the packet). HOT.
   */
  oifChanged(skb: Skb, hook: number): boolean {
    const ctIdx = skb.ct;
    if (ctIdx === NONE || hook !== Hook.POST_ROUTING) return false;
    const m = this.masqIndex[ctIdx]!;
    if (m === 0) return false;
    if (skb.ctInfo >= CtInfo.ESTABLISHED_REPLY) return false; // CTINFO2DIR == REPLY
    return m !== skb.outIf + 1;
  }

  private setup(skb: Skb, range: NatRange, manip: number, fromMasquerade: boolean): number {
    const ct = this.ct;
    const ctIdx = skb.ct;
    if (ctIdx === NONE) return Verdict.ACCEPT;
    if (ct.isConfirmed(ctIdx)) return Verdict.ACCEPT;
    const status = ct.status(ctIdx, skb);
    const done = manip === Manip.SRC ? CtStatus.SRC_NAT_DONE : CtStatus.DST_NAT_DONE;
    if ((status & done) !== 0) return Verdict.DROP;
    // First binding of a fresh entry: its NAT extension starts empty (handles are reused).
    if (!fromMasquerade && (status & (CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE)) === 0) this.masqIndex[ctIdx] = 0;

    // What we've got will look like the inverse of the reply (prior manips included).
    ct.getTuple(ctIdx, CtDir.REPLY, this.reply);
    invertInto(this.reply, this.curr);
    this.alloc.getUniqueTuple(this.next, this.curr, range, ctIdx, manip, skb);

    let bits = done;
    if (!this.next.equals(this.curr)) {
      invertInto(this.next, this.reply);
      ct.setReplyTuple(ctIdx, this.reply);
      bits |= manip === Manip.SRC ? CtStatus.SRC_NAT : CtStatus.DST_NAT;
    }
    if (manip === Manip.SRC) ct.bySourceAdd(ctIdx);
    ct.setStatusBits(ctIdx, bits, skb);
    ct.syncSkb(skb);
    return Verdict.ACCEPT;
  }
}

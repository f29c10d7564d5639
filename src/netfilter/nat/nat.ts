// The NAT engine the packet path calls: one object tying the allocator (get_unique_tuple), bindings
// (nf_nat_setup_info, null bindings, MASQUERADE/REDIRECT/SNAT/DNAT/NETMAP targets) and per-packet rewrite
// (nf_nat_packet, ICMP error translation), plus hookFn, a mirror of nf_nat_ipv4_fn + nf_nat_inet_fn
// for paths that want the kernel's whole NAT hook in one call.

import { IpProto } from '../../decode/meta.js';
import type { Prng } from '../../util/prng.js';
import type { Skb } from '../skb.js';
import { CtInfo, NONE, Verdict } from '../skb.js';
import { NatBinder, type NatHost } from './binding.js';
import { hasNatExtras, type NatConntrack, type NatCtExtras } from './ct-ops.js';
import { NatPacket } from './packet.js';
import { Manip, NatRange, NatRangeFlag, hookToManip } from './range.js';
import { NatAllocator } from './unique-tuple.js';

/** Runs the nat table for a hook (ipt_do_table on the nat builtin chain); NAT targets call back into Nat. */
export interface NatRuleRunner {
  runNatTable(skb: Skb, hook: number): number;
}

/** Construction options. */
export interface NatOptions {
  conntrack: NatConntrack;
  /**
   * Seeded PRNG the port offsets come from (fork one for NAT so other draws do not shift it). Each vCPU
   * draws from its own stream forked from it, so results do not depend on how vCPUs share threads.
   */
  prng: Prng;
  host: NatHost;
  /**
   * Conntrack lookups for nf_nat_used_tuple_new / _harder (see ct-ops.ts). Default: `conntrack` itself
   * when it has them; null runs without.
   */
  extras?: NatCtExtras | null;
  /** Shared masq_index array (length = conntrack capacity) when several executors share one table. */
  masqIndex?: Int32Array;
}

/** NAT for one executor. Allocation-free per packet. */
export class Nat {
  readonly alloc: NatAllocator;
  readonly binder: NatBinder;
  readonly pkt: NatPacket;
  private readonly extras: NatCtExtras | null;
  /**
   * NETMAP's one-address range, rewritten before each call: nf_nat_setup_info and get_unique_tuple only read
   * a range while they run (the by-source index keeps entries, PERSISTENT only seeds a hash), so one per
   * executor serves every NETMAP rule without allocating per packet.
   */
  private readonly netmapRange = new NatRange();

  constructor(opts: NatOptions) {
    const ct = opts.conntrack;
    this.extras = opts.extras !== undefined ? opts.extras : hasNatExtras(ct) ? ct : null;
    this.alloc = new NatAllocator(opts.conntrack, opts.prng, this.extras);
    this.binder = new NatBinder(opts.conntrack, this.alloc, opts.host, opts.masqIndex);
    this.pkt = new NatPacket(opts.conntrack);
  }

  /** nf_nat_initialized(skb's ct, manip). */
  initialized(skb: Skb, manip: number): boolean {
    return skb.ct !== NONE && this.binder.initialized(skb.ct, manip, skb);
  }

  /** xt_snat_target_v2: nf_nat_setup_info(ct, range, SRC). */
  snat(skb: Skb, range: NatRange): number {
    return this.binder.setupInfo(skb, range, Manip.SRC);
  }

  /** xt_dnat_target_v2: nf_nat_setup_info(ct, range, DST). */
  dnat(skb: Skb, range: NatRange): number {
    return this.binder.setupInfo(skb, range, Manip.DST);
  }

  /** MASQUERADE (POST_ROUTING): `nexthop` is the route's gateway, or the destination when on-link. */
  masquerade(skb: Skb, range: NatRange, nexthop: number): number {
    return this.binder.masquerade(skb, range, nexthop);
  }

  /** REDIRECT (PRE_ROUTING: input device's first address; OUTPUT: 127.0.0.1). */
  redirect(skb: Skb, range: NatRange, hook: number): number {
    return this.binder.redirect(skb, range, hook);
  }

  /**
   * netmap_tg4 (xt_NETMAP.c) at `hook`: the address HOOK2MANIP rewrites (destination at PRE_ROUTING and
   * LOCAL_OUT, source at POST_ROUTING and LOCAL_IN) keeps its host bits and takes its network bits from
   * `minAddr`, the netmask being ~(minAddr ^ maxAddr); nf_nat_setup_info then gets that single address with
   * the rule's flags | MAP_IPS and proto bounds. HOT (per NEW connection).
   */
  netmap(skb: Skb, minAddr: number, maxAddr: number, flags: number, minProto: number, maxProto: number, hook: number): number {
    const manip = hookToManip(hook);
    const netmask = ~(minAddr ^ maxAddr);
    const cur = manip === Manip.DST ? skb.meta.daddr : skb.meta.saddr;
    const ip = ((cur & ~netmask) | (minAddr & netmask)) >>> 0;
    this.netmapRange.set(flags | NatRangeFlag.MAP_IPS, ip, ip, minProto, maxProto, 0);
    return this.binder.setupInfo(skb, this.netmapRange, manip);
  }

  /** nf_nat_setup_info with an explicit manip. */
  setupInfo(skb: Skb, range: NatRange, manip: number): number {
    return this.binder.setupInfo(skb, range, manip);
  }

  /** nf_nat_alloc_null_binding for the hook's manip. */
  nullBinding(skb: Skb, hook: number): number {
    return this.binder.nullBinding(skb, hook);
  }

  /** nf_nat_oif_changed. */
  oifChanged(skb: Skb, hook: number): boolean {
    return this.binder.oifChanged(skb, hook);
  }

  /** nf_nat_packet. */
  packet(skb: Skb, hook: number): number {
    return this.pkt.packet(skb, hook);
  }

  /** nf_nat_icmp_reply_translation. */
  icmpReplyTranslation(skb: Skb, hook: number): number {
    return this.pkt.icmpReplyTranslation(skb, hook);
  }

  /**
   * nf_nat_ipv4_fn + nf_nat_inet_fn: the whole NAT hook. RELATED ICMP errors are translated; NEW and
   * RELATED packets whose binding for this hook's manip is not made yet run the nat table (`rules`, or
   * none) and get a null binding when no target bound them; a masqueraded entry whose out device changed
   * is killed and the packet dropped; then nf_nat_packet. HOT.
   */
  hookFn(skb: Skb, hook: number, rules: NatRuleRunner | null): number {
    const ctIdx = skb.ct;
    if (ctIdx === NONE) return Verdict.ACCEPT;
    const ctinfo = skb.ctInfo;
    const related = ctinfo === CtInfo.RELATED || ctinfo === CtInfo.RELATED_REPLY;
    if (related && skb.meta.ipProto === IpProto.ICMP) return this.pkt.icmpReplyTranslation(skb, hook);

    const manip = hookToManip(hook);
    if (related || ctinfo === CtInfo.NEW) {
      if (!this.binder.initialized(ctIdx, manip, skb)) {
        if (rules !== null) {
          const ret = rules.runNatTable(skb, hook);
          if (ret !== Verdict.ACCEPT) return ret;
        }
        if (!this.binder.initialized(ctIdx, manip, skb)) {
          const ret = this.binder.nullBinding(skb, hook);
          if (ret !== Verdict.ACCEPT) return ret;
        }
      } else if (this.binder.oifChanged(skb, hook)) {
        return this.oifChangedDrop(skb);
      }
    } else if (this.binder.oifChanged(skb, hook)) {
      return this.oifChangedDrop(skb);
    }
    return this.pkt.packet(skb, hook);
  }

  /** nf_ct_kill_acct + NF_DROP. */
  private oifChangedDrop(skb: Skb): number {
    if (this.extras !== null) this.extras.kill(skb.ct, skb);
    return Verdict.DROP;
  }
}

// The datapath's side of rule evaluation: the match environment (interface names, host address types,
// seeded random draws) and the target environment carrying out DNAT, SNAT, MASQUERADE, REDIRECT, NETMAP,
// REJECT, TCPMSS, TTL, TOS/DSCP, TCPOPTSTRIP, ECN, NOTRACK/CT and NFQUEUE, and recording LOG/NFLOG/TRACE events.

import type { MatchEnv, TargetEnv, WallClock } from '../rules/module.js';
import type { EventTargetData, NatTargetData, StatefulTargetData } from '../rules/target-data.js';
import { TargetKind } from '../rules/target-data.js';
import type { CtData } from '../rules/target-data.js';
import { CtTargetFlag } from '../rules/target/xt_CT.js';
import { packZone } from '../conntrack/tuple.js';
import type { RuleEnv } from '../rules/engine-env.js';
import { ObservedDnat } from '../rules/nat-reach.js';
import type { Skb } from '../skb.js';
import { CtTmpl, NONE, Verdict } from '../skb.js';
import type { Prng } from '../../util/prng.js';
import type { Host } from '../../host/host.js';
import { NatRange, hookToManip } from '../nat/range.js';
import type { Datapath } from './datapath.js';
import type { Pkt } from './pkt.js';
import { clampMss, MssResult, tcpmssMangle } from '../mangle/tcpmss.js';
import { applyTtlTarget, setTos } from '../mangle/ttl.js';
import { OptStripResult, tcpoptstripMangle } from '../mangle/tcpoptstrip.js';
import { EcnResult, ecnMangle } from '../mangle/ecn.js';
import { rejectTarget } from './reject.js';
import { reverseMtu } from './route.js';
import { DatapathEvent } from './sink.js';
import { NO_CONNTRACK } from '../rules/rule-conntrack.js';
import type { RuleConntrack } from '../rules/rule-conntrack.js';
import { DatapathRuleConntrack } from './rule-conntrack-view.js';

class DatapathMatchEnv implements MatchEnv {
  hotdrop = 0;
  readonly observedDnat = new ObservedDnat();
  /** The datapath's table once bound (createRuleEnv's bind). */
  conntrack: RuleConntrack = NO_CONNTRACK;
  constructor(
    readonly host: Host,
    private readonly rng: Prng,
    /** The capture's clock at virtual time 0 (`-m time`); the replay fills it in at its first packet. */
    readonly clock: WallClock,
  ) {}
  ifName(id: number): string {
    return this.host.names.name(id);
  }
  random32(): number {
    return this.rng.u32();
  }
}

class DatapathTargetEnv implements TargetEnv {
  dp: Datapath | null = null;
  private readonly ranges = new Map<NatTargetData, NatRange>();

  private range(d: NatTargetData): NatRange {
    let r = this.ranges.get(d);
    if (r === undefined) {
      r = new NatRange(d.flags, d.minAddr, d.maxAddr, d.minProto, d.maxProto, d.baseProto);
      this.ranges.set(d, r);
    }
    return r;
  }

  stateful(data: StatefulTargetData, skb: Skb): number {
    const dp = this.dp!;
    const p = skb as Pkt;
    switch (data.kind) {
      case TargetKind.DNAT:
        return this.bound(p, dp.nat.dnat(p, this.range(data)), 1);
      case TargetKind.SNAT:
        return this.bound(p, dp.nat.snat(p, this.range(data)), 0);
      case TargetKind.MASQUERADE:
        return this.bound(p, dp.nat.masquerade(p, this.range(data), p.rtNexthop !== 0 ? p.rtNexthop : p.meta.daddr), 0);
      case TargetKind.REDIRECT:
        return this.bound(p, dp.nat.redirect(p, this.range(data), p.hook), 1);
      case TargetKind.NETMAP:
        return this.bound(p, dp.nat.netmap(p, data.minAddr, data.maxAddr, data.flags, data.minProto, data.maxProto, p.hook), hookToManip(p.hook));
      case TargetKind.REJECT:
        return rejectTarget(dp, p, data.with);
      case TargetKind.TCPMSS:
        return this.tcpmss(dp, p, data.clamp, data.mss);
      case TargetKind.TTL:
        applyTtlTarget(p.meta, data.mode, data.value);
        return Verdict.CONTINUE;
      case TargetKind.TOS:
        setTos(p.meta, ((p.meta.ipTos & ~data.mask) ^ data.value) & 0xff);
        return Verdict.CONTINUE;
      case TargetKind.DSCP:
        setTos(p.meta, (p.meta.ipTos & 0x03) | (data.dscp << 2));
        return Verdict.CONTINUE;
      case TargetKind.TCPOPTSTRIP:
        if (tcpoptstripMangle(p.meta, data.bmap) === OptStripResult.DROP) {
          return dp.kernelDrop(p, 'tcpoptstrip', 'TCPOPTSTRIP: truncated TCP header or bad data offset', p.hook);
        }
        return Verdict.CONTINUE;
      case TargetKind.ECN:
        if (ecnMangle(p.meta, data.operation, data.ipEct, data.ece, data.cwr) === EcnResult.DROP) {
          return dp.kernelDrop(p, 'ecn', 'ECN: TCP operation on a packet without a complete TCP header', p.hook);
        }
        return Verdict.CONTINUE;
      case TargetKind.NOTRACK:
      case TargetKind.CT:
        // xt_ct_target: only a packet without conntrack state yet (no entry, template or untracked mark)
        if (p.ct !== NONE || p.untracked !== 0 || p.ctTmpl !== 0) return Verdict.CONTINUE;
        if (data.kind === TargetKind.NOTRACK || data.notrack) p.untracked = 1;
        else ctTemplate(p, data);
        return Verdict.CONTINUE;
      case TargetKind.NFQUEUE:
        // no userspace program holds the queue: bypass accepts, otherwise the packet is dropped
        if (data.bypass) return Verdict.ACCEPT;
        dp.kernelDrop(p, 'nfqueue', `NFQUEUE ${data.queueNum}: no userspace listener (use --queue-bypass to accept)`, p.hook);
        return Verdict.DROP;
    }
  }

  private bound(p: Pkt, v: number, manip: number): number {
    if (v === Verdict.ACCEPT) this.dp!.sink.event(DatapathEvent.NAT_BINDING, p, manip, 0, '');
    return v;
  }

  private tcpmss(dp: Datapath, p: Pkt, clamp: boolean, setMss: number): number {
    const m = p.meta;
    const newmss = clamp ? clampMss(p.rtMtu, reverseMtu(dp, m.saddr)) : setMss;
    const old = m.tcpMssOff >= 0 ? m.tcpMss : -1;
    const r = tcpmssMangle(m, newmss);
    if (r === MssResult.DROP) {
      dp.kernelDrop(p, 'tcpmss', 'TCPMSS: truncated TCP header or unknown path MTU', p.hook);
      return Verdict.DROP;
    }
    if (r !== MssResult.UNCHANGED) dp.sink.event(DatapathEvent.MSS_REWRITE, p, old, m.tcpMss, '');
    return Verdict.CONTINUE;
  }

  event(data: EventTargetData, skb: Skb): void {
    const text = data.kind === TargetKind.TRACE ? 'TRACE' : data.prefix;
    this.dp!.sink.event(DatapathEvent.LOG, skb as Pkt, data.kind, 0, text);
  }
}

/**
 * Build the rule environment; call `bind(dp)` once the datapath exists. `clock` places virtual time 0 on the
 * wall clock (the replay's output clock: the first packet's capture timestamp).
 */
export function createRuleEnv(host: Host, rng: Prng, clock: WallClock = { baseSec: 0, baseNsec: 0 }): { env: RuleEnv; bind(dp: Datapath): void } {
  const match = new DatapathMatchEnv(host, rng, clock);
  const target = new DatapathTargetEnv();
  return {
    env: { match, target },
    bind(dp: Datapath): void {
      target.dp = dp;
      match.conntrack = new DatapathRuleConntrack(dp.ct);
    },
  };
}

/**
 * Attach the CT template (xt_ct_tg_check built it): its zone id, the directions the zone covers
 * (xt_ct_flags_to_dir), and whether the mark gives the id (NF_CT_FLAG_MARK).
 */
function ctTemplate(p: Pkt, data: CtData): void {
  const f = data.flags;
  const dirOrig = (f & CtTargetFlag.ZONE_DIR_ORIG) !== 0;
  const dirRepl = (f & CtTargetFlag.ZONE_DIR_REPL) !== 0;
  const dirs = dirOrig && !dirRepl ? 1 : dirRepl && !dirOrig ? 2 : 3;
  const fromMark = (f & CtTargetFlag.ZONE_MARK) !== 0;
  p.ctTmpl = CtTmpl.ATTACHED | (fromMark ? CtTmpl.ZONE_FROM_MARK : 0);
  p.ctZone = fromMark ? (dirs << 16) >>> 0 : packZone(data.zone, dirs);
}


// The reference evaluator of one table at one hook: mirrors net/ipv4/netfilter/ip_tables.c ipt_do_table and
// ip_packet_match entry by entry (matches AND-ed in order with short-circuit, hotdrop, counters before the
// target, standard verdicts, jump with push, goto without, RETURN and chain tails popping the jump stack or
// falling to the hook's policy entry, extension targets, stack overflow → DROP), optionally tracing each step.

import { Verdict } from '../skb.js';
import type { Skb } from '../skb.js';
import { IfTest, Inv, SlotTarget } from './engine-layout.js';
import type { TableLayout } from './engine-layout.js';
import type { RuleCounters } from './counters.js';
import { Decision } from './engine-result.js';
import type { RuleResult } from './engine-result.js';
import type { TraceSink } from './trace.js';
import { TraceKind } from './trace.js';
import type { RuleEnv } from './engine-env.js';

/**
 * HOT: ip_packet_match for slot `e`: addresses under their masks, interfaces, protocol, fragment flag, each
 * XOR-ed with its inversion flag (NF_INVF).
 */
// HOT: allocation-free
export function ipPacketMatch(L: TableLayout, e: number, skb: Skb, isfrag: boolean): boolean {
  const m = skb.meta;
  const inv = L.invFlags[e]!;
  if ((((m.saddr & L.smsk[e]!) >>> 0) !== L.src[e]!) !== ((inv & Inv.SRCIP) !== 0)) return false;
  if ((((m.daddr & L.dmsk[e]!) >>> 0) !== L.dst[e]!) !== ((inv & Inv.DSTIP) !== 0)) return false;
  const it = L.inTest[e]!;
  if (it !== IfTest.ANY) {
    const same = it === IfTest.EXACT ? skb.inIf === L.inId[e]! : L.prefixMatch(e, skb.inIf, true);
    if (!same !== ((inv & Inv.VIA_IN) !== 0)) return false;
  } else if ((inv & Inv.VIA_IN) !== 0) return false; // `! -i +`: the empty mask always compares equal
  const ot = L.outTest[e]!;
  if (ot !== IfTest.ANY) {
    const same = ot === IfTest.EXACT ? skb.outIf === L.outId[e]! : L.prefixMatch(e, skb.outIf, false);
    if (!same !== ((inv & Inv.VIA_OUT) !== 0)) return false;
  } else if ((inv & Inv.VIA_OUT) !== 0) return false;
  const p = L.proto[e]!;
  if (p !== 0 && (m.ipProto !== p) !== ((inv & Inv.PROTO) !== 0)) return false;
  if ((L.frag[e]! === 1 && !isfrag) !== ((inv & Inv.FRAG) !== 0)) return false;
  return true;
}

/** TRACE comment of a matched entry (get_chainname_rulenum): unconditional standard verdicts are return/policy. */
function traceKind(L: TableLayout, e: number): number {
  const k = L.targetKind[e]!;
  if (k === SlotTarget.POLICY) return TraceKind.POLICY;
  if (k === SlotTarget.TAIL_RETURN) return TraceKind.RETURN;
  if (L.unconditional[e] === 1 && (k === SlotTarget.VERDICT || k === SlotTarget.RETURN)) {
    return L.chains[L.chainOf[e]!]!.builtin ? TraceKind.POLICY : TraceKind.RETURN;
  }
  return TraceKind.RULE;
}

/**
 * HOT: walk table `L` at `hook` for `skb` (ipt_do_table). Counters go to `C`, the deciding entry to `res`,
 * trace steps to `trace` when given. `stack` holds at least L.stackSize entries. Returns the verdict.
 */
// HOT: allocation-free
export function interpretTable(
  L: TableLayout,
  C: RuleCounters,
  stack: Int32Array,
  hook: number,
  skb: Skb,
  env: RuleEnv,
  res: RuleResult,
  trace: TraceSink | null,
): number {
  res.reset(L);
  let e = L.hookEntry[hook]!;
  if (e < 0) return Verdict.ACCEPT;
  const meta = skb.meta;
  const len = meta.ipTotalLen;
  const isfrag = meta.fragOffset !== 0;
  const menv = env.match;
  menv.hotdrop = 0;
  let sp = 0;
  let verdict: number = Verdict.DROP;
  let visited = 0;
  let decided = -1;
  for (;;) {
    const cur = e;
    visited++;
    let matched = ipPacketMatch(L, e, skb, isfrag);
    if (matched) {
      const end = L.matchStart[e + 1]!;
      for (let k = L.matchStart[e]!; k < end; k++) {
        if (!L.matchModule[k]!.match(L.matchData[k], skb, menv, L.matchState[k])) {
          matched = false;
          break;
        }
      }
    }
    if (!matched) {
      if (menv.hotdrop !== 0) {
        decided = e;
        break;
      }
      e++;
      continue;
    }
    C.values[2 * e]! += 1;
    C.values[2 * e + 1]! += len;
    if (trace !== null) trace.step(L.name, L.chains[L.chainOf[e]!]!.name, traceKind(L, e) as 0 | 1 | 2, L.num[e]!, L.ruleId[e]!, hook, skb);
    const kind = L.targetKind[e]!;
    if (kind === SlotTarget.VERDICT || kind === SlotTarget.POLICY) {
      verdict = L.verdict[e]!;
      decided = e;
      break;
    }
    if (kind === SlotTarget.RETURN || kind === SlotTarget.TAIL_RETURN) {
      e = sp === 0 ? L.hookPolicy[hook]! : stack[--sp]! + 1;
    } else if (kind === SlotTarget.JUMP) {
      if (sp >= L.stackSize) {
        verdict = Verdict.DROP;
        res.overflow = 1;
        decided = e;
        break;
      }
      stack[sp++] = e;
      e = L.chains[L.jumpChain[e]!]!.start;
    } else if (kind === SlotTarget.GOTO) {
      e = L.chains[L.jumpChain[e]!]!.start;
    } else if (kind === SlotTarget.EXTENSION) {
      const v = L.targetModule[e]!.target(L.targetData[e], skb, env.target, L.targetState[e]);
      if (v !== Verdict.CONTINUE) {
        verdict = v;
        decided = e;
        break;
      }
      e++;
    } else {
      e++; // no target: a counting rule
    }
    if (menv.hotdrop !== 0) {
      // a match set hotdrop yet reported a match: the kernel still ran the target, then drops
      decided = cur;
      break;
    }
  }
  res.rulesVisited = visited;
  if (menv.hotdrop !== 0) {
    res.hotdrop = 1;
    verdict = Verdict.DROP;
  }
  res.verdict = verdict;
  res.slot = decided;
  res.ruleId = L.ruleId[decided]!;
  res.decision = L.targetKind[decided] === SlotTarget.POLICY ? Decision.POLICY : Decision.RULE;
  return verdict;
}

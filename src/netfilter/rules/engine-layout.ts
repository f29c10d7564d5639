// A loaded table laid out as the kernel's rule blob (ip_tables.c translate_table): every chain's rules in
// slots, followed by one tail slot — the builtin chain's policy entry (the hook's "underflow") or a user
// chain's implicit RETURN — with per-slot typed arrays for the ip_packet_match part, the target, and the
// per-rule module states. The interpreter and the compiler both evaluate this layout; counters index its slots.

import type { Chain, Rule, Table } from './ast.js';
import { TargetType } from './ast.js';
import type { LoadContext, MatchModule, TargetModule } from './module.js';
import { Hook, NONE, Verdict } from '../skb.js';
import { RuleError } from '../../util/errors.js';
import type { Interner } from '../../util/intern.js';
import { StatisticMode, StatisticState } from './match/xt_statistic.js';
import type { StatisticData } from './match/xt_statistic.js';
import { dnatReachOf } from './nat-reach.js';

/** What a slot does when its rule matches. */
export const SlotTarget = {
  /** No target: count and continue. */
  NONE: 0,
  /** ACCEPT / DROP / QUEUE: verdict in `verdict`. */
  VERDICT: 1,
  /** RETURN (explicit). */
  RETURN: 2,
  /** Jump to the chain in `jumpChain` (push). */
  JUMP: 3,
  /** Goto the chain in `jumpChain` (no push). */
  GOTO: 4,
  /** Extension target module. */
  EXTENSION: 5,
  /** Tail of a builtin chain: the policy verdict in `verdict`. */
  POLICY: 6,
  /** Tail of a user chain: implicit RETURN. */
  TAIL_RETURN: 7,
} as const;

/** How an interface test of ip_packet_match is carried out. */
export const IfTest = {
  /** No test (the rule gave no -i/-o, or `-i +`). */
  ANY: 0,
  /** Exact name: compare interned ids. */
  EXACT: 1,
  /** `name+` prefix: look the id up in a precomputed table. */
  PREFIX: 2,
} as const;

/** Inversion flags of ip_packet_match (IPT_INV_*). */
export const Inv = { SRCIP: 1, DSTIP: 2, VIA_IN: 4, VIA_OUT: 8, PROTO: 16, FRAG: 32 } as const;

/** One chain of the layout. */
export interface ChainInfo {
  readonly name: string;
  readonly builtin: boolean;
  /** Hook (Hook.*) of a builtin chain, -1 for user chains. */
  readonly hook: number;
  /** First slot and the tail slot (== first + number of rules). */
  readonly start: number;
  readonly tail: number;
  readonly chain: Chain;
}

/** Options of a table load. */
export interface LayoutOptions {
  /** The datapath's interface interner (ids agree with skb.inIf / skb.outIf). */
  interner: Interner;
  /** Load context handed to modules' createState(). */
  load: LoadContext;
  /** Jump stack size; default as the kernel: number of user chains + 1. */
  stackSize?: number;
}

const HOOK_OF: Readonly<Record<string, number>> = {
  PREROUTING: Hook.PRE_ROUTING,
  INPUT: Hook.LOCAL_IN,
  FORWARD: Hook.FORWARD,
  OUTPUT: Hook.LOCAL_OUT,
  POSTROUTING: Hook.POST_ROUTING,
};

/**
 * One table as evaluable data. Built once per load, never changed afterwards (module states excepted:
 * they are the rules' own mutable state, like the kernel's per-rule match data).
 */
export class TableLayout {
  readonly name: string;
  readonly table: Table;
  readonly chains: readonly ChainInfo[];
  /** Number of slots (rules plus one tail per chain). */
  readonly size: number;
  /** Entry slot per hook (hook_entry), -1 when the table has no chain at that hook. */
  readonly hookEntry: Int32Array;
  /** Policy (underflow) slot per hook, -1 when absent. */
  readonly hookPolicy: Int32Array;
  readonly stackSize: number;
  /** Longest chain of jumps/gotos from a builtin chain (JS call depth of compiled code). */
  readonly maxDepth: number;
  /** Interner the interface ids come from. */
  readonly interner: Interner;

  // --- per slot ---
  /** The rule in the slot, null for tails. */
  readonly rule: readonly (Rule | null)[];
  /** Global rule id (Rule.id), -1 for tails. */
  readonly ruleId: Int32Array;
  readonly chainOf: Int32Array;
  /** 1-based position in the chain (tails: number of rules + 1), the kernel TRACE rule number. */
  readonly num: Int32Array;
  /** ip_packet_match. */
  readonly src: Uint32Array;
  readonly smsk: Uint32Array;
  readonly dst: Uint32Array;
  readonly dmsk: Uint32Array;
  readonly proto: Uint8Array;
  /** 1 for `-f`. */
  readonly frag: Uint8Array;
  readonly invFlags: Uint8Array;
  readonly inTest: Uint8Array;
  readonly inId: Int32Array;
  readonly outTest: Uint8Array;
  readonly outId: Int32Array;
  /** Prefix tables by slot (PREFIX tests only): table[id] = 1 when the interface name has the prefix. */
  readonly inTable: readonly (Uint8Array | null)[];
  readonly outTable: readonly (Uint8Array | null)[];
  readonly inPrefix: readonly string[];
  readonly outPrefix: readonly string[];
  /** 1 when the kernel's unconditional() holds: no ip test and no match (TRACE says return/policy). */
  readonly unconditional: Uint8Array;
  /** Matches: slot's matches are matchStart[s] .. matchStart[s+1]-1 in the flat arrays below. */
  readonly matchStart: Int32Array;
  readonly matchModule: readonly MatchModule[];
  readonly matchData: readonly unknown[];
  readonly matchState: readonly unknown[];
  /** Target. */
  readonly targetKind: Uint8Array;
  /** Verdict of VERDICT / POLICY slots. */
  readonly verdict: Int32Array;
  /** Chain index of JUMP / GOTO slots, -1 otherwise. */
  readonly jumpChain: Int32Array;
  readonly targetModule: readonly (TargetModule | null)[];
  readonly targetData: readonly unknown[];
  readonly targetState: readonly unknown[];
  /** Slot of each rule by global rule id (only this table's rules are >= 0). */
  readonly slotOfRule: Map<number, number>;

  constructor(table: Table, opts: LayoutOptions) {
    this.name = table.name;
    this.table = table;
    this.interner = opts.interner;
    const chainIndex = new Map<string, number>();
    table.chains.forEach((c, i) => chainIndex.set(c.name, i));
    let size = 0;
    for (const c of table.chains) size += c.rules.length + 1;
    this.size = size;
    const chains: ChainInfo[] = [];
    this.hookEntry = new Int32Array(5).fill(-1);
    this.hookPolicy = new Int32Array(5).fill(-1);
    const rule: (Rule | null)[] = [];
    this.ruleId = new Int32Array(size).fill(-1);
    this.chainOf = new Int32Array(size);
    this.num = new Int32Array(size);
    this.src = new Uint32Array(size);
    this.smsk = new Uint32Array(size);
    this.dst = new Uint32Array(size);
    this.dmsk = new Uint32Array(size);
    this.proto = new Uint8Array(size);
    this.frag = new Uint8Array(size);
    this.invFlags = new Uint8Array(size);
    this.inTest = new Uint8Array(size);
    this.inId = new Int32Array(size).fill(NONE);
    this.outTest = new Uint8Array(size);
    this.outId = new Int32Array(size).fill(NONE);
    const inTable: (Uint8Array | null)[] = [];
    const outTable: (Uint8Array | null)[] = [];
    const inPrefix: string[] = [];
    const outPrefix: string[] = [];
    this.unconditional = new Uint8Array(size);
    this.matchStart = new Int32Array(size + 1);
    const matchModule: MatchModule[] = [];
    const matchData: unknown[] = [];
    const matchState: unknown[] = [];
    this.targetKind = new Uint8Array(size);
    this.verdict = new Int32Array(size);
    this.jumpChain = new Int32Array(size).fill(-1);
    const targetModule: (TargetModule | null)[] = [];
    const targetData: unknown[] = [];
    const targetState: unknown[] = [];
    this.slotOfRule = new Map();

    // intern every interface name the rules mention first, so prefix tables cover them
    for (const c of table.chains) {
      for (const r of c.rules) {
        if (r.ip.inIface !== '' && !r.ip.inWildcard) opts.interner.intern(r.ip.inIface);
        if (r.ip.outIface !== '' && !r.ip.outWildcard) opts.interner.intern(r.ip.outIface);
      }
    }

    let s = 0;
    let userChains = 0;
    table.chains.forEach((c, ci) => {
      const hook = c.builtin ? (HOOK_OF[c.name] ?? -1) : -1;
      if (!c.builtin) userChains++;
      const start = s;
      for (let k = 0; k < c.rules.length; k++, s++) {
        const r = c.rules[k]!;
        rule.push(r);
        this.ruleId[s] = r.id;
        this.slotOfRule.set(r.id, s);
        this.chainOf[s] = ci;
        this.num[s] = k + 1;
        const ip = r.ip;
        this.src[s] = ip.src >>> 0;
        this.smsk[s] = ip.srcMask >>> 0;
        this.dst[s] = ip.dst >>> 0;
        this.dmsk[s] = ip.dstMask >>> 0;
        this.proto[s] = ip.proto;
        this.frag[s] = ip.fragment ? 1 : 0;
        this.invFlags[s] =
          (ip.invSrc ? Inv.SRCIP : 0) |
          (ip.invDst ? Inv.DSTIP : 0) |
          (ip.invIn ? Inv.VIA_IN : 0) |
          (ip.invOut ? Inv.VIA_OUT : 0) |
          (ip.invProto ? Inv.PROTO : 0) |
          (ip.invFragment ? Inv.FRAG : 0);
        const [it, iid, itab] = this.ifaceTest(ip.inIface, ip.inWildcard);
        this.inTest[s] = it;
        this.inId[s] = iid;
        inTable.push(itab);
        inPrefix.push(ip.inWildcard ? ip.inIface : '');
        const [ot, oid, otab] = this.ifaceTest(ip.outIface, ip.outWildcard);
        this.outTest[s] = ot;
        this.outId[s] = oid;
        outTable.push(otab);
        outPrefix.push(ip.outWildcard ? ip.outIface : '');
        const ipZero =
          this.smsk[s] === 0 && this.src[s] === 0 && this.dmsk[s] === 0 && this.dst[s] === 0 &&
          ip.inIface === '' && !ip.inWildcard && ip.outIface === '' && !ip.outWildcard &&
          ip.proto === 0 && !ip.fragment && this.invFlags[s] === 0;
        this.unconditional[s] = ipZero && r.matches.length === 0 ? 1 : 0;
        this.matchStart[s] = matchModule.length;
        for (const m of r.matches) {
          matchModule.push(m.module);
          matchData.push(m.data);
          matchState.push(m.module.createState(m.data, opts.load));
        }
        const t = r.target;
        targetModule.push(null);
        targetData.push(null);
        targetState.push(null);
        switch (t.type) {
          case TargetType.NONE:
            this.targetKind[s] = SlotTarget.NONE;
            break;
          case TargetType.VERDICT:
            if (t.verdict === Verdict.RETURN) this.targetKind[s] = SlotTarget.RETURN;
            else {
              this.targetKind[s] = SlotTarget.VERDICT;
              this.verdict[s] = t.verdict;
            }
            break;
          case TargetType.JUMP:
          case TargetType.GOTO: {
            const j = chainIndex.get(t.chain);
            if (j === undefined || table.chains[j]!.builtin) {
              throw new RuleError('ERR_RULE_JUMP_TARGET', `rule jumps to ${t.chain}, which is not a user chain of table ${table.name}`, {
                line: r.line,
                column: r.targetColumn,
              });
            }
            this.targetKind[s] = t.type === TargetType.JUMP ? SlotTarget.JUMP : SlotTarget.GOTO;
            this.jumpChain[s] = j;
            break;
          }
          case TargetType.EXTENSION:
            this.targetKind[s] = SlotTarget.EXTENSION;
            targetModule[s] = t.module;
            targetData[s] = t.data;
            targetState[s] = t.module.createState(t.data, opts.load);
            break;
        }
      }
      // tail entry: policy of a builtin chain, implicit RETURN of a user chain (always matches)
      rule.push(null);
      this.chainOf[s] = ci;
      this.num[s] = c.rules.length + 1;
      this.unconditional[s] = 1;
      this.matchStart[s] = matchModule.length;
      inTable.push(null);
      outTable.push(null);
      inPrefix.push('');
      outPrefix.push('');
      targetModule.push(null);
      targetData.push(null);
      targetState.push(null);
      if (c.builtin) {
        this.targetKind[s] = SlotTarget.POLICY;
        this.verdict[s] = c.policyVerdict;
        if (hook >= 0) {
          this.hookEntry[hook] = start;
          this.hookPolicy[hook] = s;
        }
      } else {
        this.targetKind[s] = SlotTarget.TAIL_RETURN;
      }
      chains.push({ name: c.name, builtin: c.builtin, hook, start, tail: s, chain: c });
      s++;
    });
    this.matchStart[size] = matchModule.length;
    this.chains = chains;
    this.rule = rule;
    this.inTable = inTable;
    this.outTable = outTable;
    this.inPrefix = inPrefix;
    this.outPrefix = outPrefix;
    this.matchModule = matchModule;
    this.matchData = matchData;
    this.matchState = matchState;
    this.targetModule = targetModule;
    this.targetData = targetData;
    this.targetState = targetState;
    // translate_table: one jump-stack entry per ERROR entry (each user chain head plus the table's end)
    this.stackSize = opts.stackSize ?? userChains + 1;
    this.maxDepth = this.checkLoops();
    this.steerRandomStatistics();
  }

  /**
   * mark_source_chains: a jump or goto path that comes back to a chain on it is refused (the kernel's
   * ELOOP). Returns the longest path length. Iterative DFS: rule sets may nest chains deeply.
   */
  /** Give every `-m statistic --mode random` rule that jumps the DNAT ranges its jump reaches (nat-reach.ts). */
  private steerRandomStatistics(): void {
    for (const c of this.chains) {
      for (let s = c.start; s < c.tail; s++) {
        if (this.jumpChain[s]! < 0) continue;
        for (let j = this.matchStart[s]!; j < this.matchStart[s + 1]!; j++) {
          const st = this.matchState[j];
          if (st instanceof StatisticState && (this.matchData[j] as StatisticData).mode === StatisticMode.RANDOM) st.reach = dnatReachOf(this, this.jumpChain[s]!);
        }
      }
    }
  }

  private checkLoops(): number {
    const n = this.chains.length;
    const state = new Uint8Array(n); // 0 new, 1 on path, 2 done
    const depth = new Int32Array(n);
    const succ: number[][] = this.chains.map((c) => {
      const out: number[] = [];
      for (let s = c.start; s < c.tail; s++) if (this.jumpChain[s]! >= 0) out.push(this.jumpChain[s]!);
      return out;
    });
    let max = 0;
    for (let root = 0; root < n; root++) {
      if (state[root] !== 0) continue;
      const stackNode: number[] = [root];
      const stackIdx: number[] = [0];
      state[root] = 1;
      while (stackNode.length > 0) {
        const top = stackNode.length - 1;
        const v = stackNode[top]!;
        const i = stackIdx[top]!;
        if (i < succ[v]!.length) {
          stackIdx[top] = i + 1;
          const w = succ[v]![i]!;
          if (state[w] === 1) {
            const c = this.chains[v]!;
            throw new RuleError('ERR_RULE_LOOP', `chain ${c.name} of table ${this.name} jumps back into ${this.chains[w]!.name}: loop`, {
              line: c.chain.line,
            });
          }
          if (state[w] === 0) {
            state[w] = 1;
            stackNode.push(w);
            stackIdx.push(0);
          }
        } else {
          let d = 0;
          for (const w of succ[v]!) d = Math.max(d, depth[w]! + 1);
          depth[v] = d;
          state[v] = 2;
          max = Math.max(max, d);
          stackNode.pop();
          stackIdx.pop();
        }
      }
    }
    return max;
  }

  /** [test, id, prefix table] for one interface of ip_packet_match. */
  private ifaceTest(name: string, wildcard: boolean): [number, number, Uint8Array | null] {
    if (!wildcard) return name === '' ? [IfTest.ANY, NONE, null] : [IfTest.EXACT, this.interner.intern(name), null];
    if (name === '') return [IfTest.ANY, NONE, null]; // `-i +` matches every device, and none
    const names = this.interner.all();
    const t = new Uint8Array(names.length);
    for (let i = 0; i < names.length; i++) if (names[i]!.startsWith(name)) t[i] = 1;
    return [IfTest.PREFIX, NONE, t];
  }

  /** HOT: does interface `id` pass a PREFIX test of slot `s` (input side when `input`)? */
  // HOT: allocation-free
  prefixMatch(s: number, id: number, input: boolean): boolean {
    if (id < 0) return false; // no device: the empty name never has a non-empty prefix
    const t = input ? this.inTable[s]! : this.outTable[s]!;
    if (id < t.length) return t[id] === 1;
    // interned after the load: compare names (no allocation)
    return this.interner.name(id).startsWith(input ? this.inPrefix[s]! : this.outPrefix[s]!);
  }

  /** Chain index by name, -1 when absent. */
  chainIndex(name: string): number {
    return this.chains.findIndex((c) => c.name === name);
  }
}

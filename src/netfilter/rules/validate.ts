// Load-time checks of one table section, as ip_tables' translate_table does them: which hooks reach each
// chain through jumps and gotos (mark_source_chains), loops in that graph, and every match and target's
// checkentry (xt_check_match/xt_check_target: table, hook mask, protocol, then the module's own check).

import type { Chain, FamilyNumber, Rule, Table } from './ast.js';
import { TargetType, emptyIpMatch } from './ast.js';
import type { CheckContext, ModuleBase } from './module.js';
import { IssueCode } from './issues.js';
import type { IssueList } from './issues.js';
import { protocolName } from './names.js';

/** Builtin chain name → hook number (Hook in skb.ts). */
export const CHAIN_HOOK: Readonly<Record<string, number>> = { PREROUTING: 0, INPUT: 1, FORWARD: 2, OUTPUT: 3, POSTROUTING: 4 };

const HOOK_LABEL = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

/** Chains of a table by index, with the jump/goto edges of each as chain indices (one name lookup per edge). */
interface ChainGraph {
  chains: readonly Chain[];
  index: Map<string, number>;
  /** Per chain: target chain index of each rule, -1 for rules that do not jump. */
  edges: Int32Array[];
}

function chainGraph(t: Table): ChainGraph {
  const index = new Map<string, number>();
  t.chains.forEach((c, i) => index.set(c.name, i));
  const edges = t.chains.map((c) => {
    const e = new Int32Array(c.rules.length);
    c.rules.forEach((r, k) => {
      e[k] = r.target.type === TargetType.JUMP || r.target.type === TargetType.GOTO ? (index.get(r.target.chain) ?? -1) : -1;
    });
    return e;
  });
  return { chains: t.chains, index, edges };
}

function hookMasksOf(g: ChainGraph): Uint8Array {
  const masks = new Uint8Array(g.chains.length);
  const work: number[] = [];
  g.chains.forEach((c, ci) => {
    const hook = c.builtin ? CHAIN_HOOK[c.name] : undefined;
    if (hook === undefined) return;
    const bit = 1 << hook;
    masks[ci] = masks[ci]! | bit;
    work.push(ci);
    while (work.length > 0) {
      const cur = work.pop()!;
      const e = g.edges[cur]!;
      for (let k = 0; k < e.length; k++) {
        const to = e[k]!;
        if (to >= 0 && (masks[to]! & bit) === 0) {
          masks[to] = masks[to]! | bit;
          work.push(to);
        }
      }
    }
  });
  return masks;
}

/** HookBit mask of every chain of a table: the hooks whose builtin chain reaches it. */
export function chainHookMasks(t: Table): Map<string, number> {
  const g = chainGraph(t);
  const m = hookMasksOf(g);
  return new Map(t.chains.map((c, i) => [c.name, m[i]!]));
}

/** Run every load-time check of a table section, adding issues. */
export function validateTable(t: Table, family: FamilyNumber, issues: IssueList, lineText: (line: number) => string): void {
  const g = chainGraph(t);
  const masks = hookMasksOf(g);
  findLoops(g, masks, issues, lineText);
  const ctx = new RuleCheckContext(family, t.name, issues, lineText);
  t.chains.forEach((c, i) => {
    for (const r of c.rules) checkRule(r, masks[i]!, ctx);
  });
}

/** One reusable CheckContext per table: the rule fields are swapped in before each rule's checks. */
class RuleCheckContext implements CheckContext {
  family: FamilyNumber;
  table: string;
  hookMask = 0;
  ip: Rule['ip'];
  matches: Rule['matches'] = [];
  column = 0;
  rule: Rule | null = null;
  constructor(
    family: FamilyNumber,
    table: string,
    private readonly issues: IssueList,
    private readonly lineText: (line: number) => string,
  ) {
    this.family = family;
    this.table = table;
    this.ip = emptyIpMatch();
  }
  error(code: string, message: string): void {
    const r = this.rule!;
    this.issues.add(code, message, r.line, this.column, this.lineText(r.line) || r.text);
  }
}

function checkRule(r: Rule, hookMask: number, ctx: RuleCheckContext): void {
  ctx.rule = r;
  ctx.hookMask = hookMask;
  ctx.ip = r.ip;
  ctx.matches = r.matches;
  for (const m of r.matches) {
    ctx.column = m.column;
    checkModule(m.module, m.data, m.name, 'match', ctx);
  }
  if (r.target.type === TargetType.EXTENSION) {
    ctx.column = r.targetColumn;
    checkModule(r.target.module, r.target.data, r.target.name, 'target', ctx);
  }
}

function checkModule(mod: ModuleBase<unknown>, data: unknown, name: string, kind: string, ctx: CheckContext): void {
  if (mod.tables === undefined && mod.hooks === undefined && (mod.proto ?? 0) === 0 && mod.check === undefined) return;
  const what = `${name} ${kind}`;
  if (mod.tables !== undefined && !mod.tables.includes(ctx.table)) {
    ctx.error(IssueCode.WRONG_TABLE, `${what}: only valid in table ${mod.tables.join('/')}, not ${ctx.table}`);
    return;
  }
  if (mod.hooks !== undefined && (ctx.hookMask & ~mod.hooks) !== 0) {
    const bad = HOOK_LABEL.filter((_, h) => (ctx.hookMask & ~mod.hooks! & (1 << h)) !== 0);
    const ok = HOOK_LABEL.filter((_, h) => (mod.hooks! & (1 << h)) !== 0);
    ctx.error(IssueCode.WRONG_HOOK, `${what}: used from ${bad.join('/')}, valid only from ${ok.join('/')}`);
    return;
  }
  if (mod.proto !== undefined && mod.proto !== 0 && (ctx.ip.proto !== mod.proto || ctx.ip.invProto)) {
    ctx.error(IssueCode.NEEDS_PROTOCOL, `${what}: only valid for protocol ${mod.proto} (needs -p ${protocolName(mod.proto)})`);
    return;
  }
  mod.check?.(data, ctx);
}

/** Cycles among chains reachable from a hook (ip_tables rejects those at load). Iterative depth-first walk. */
function findLoops(g: ChainGraph, masks: Uint8Array, issues: IssueList, lineText: (line: number) => string): void {
  const state = new Uint8Array(g.chains.length); // 0 new, 1 on the path, 2 done
  const reported = new Set<string>();
  const path: number[] = [];
  const next: number[] = [];
  g.chains.forEach((root, ri) => {
    if (!root.builtin || masks[ri] === 0 || state[ri] !== 0) return;
    path.push(ri);
    next.push(0);
    state[ri] = 1;
    while (path.length > 0) {
      const ci = path[path.length - 1]!;
      const e = g.edges[ci]!;
      const k = next[next.length - 1]!;
      if (k >= e.length) {
        state[ci] = 2;
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = k + 1;
      const to = e[k]!;
      if (to < 0) continue;
      if (state[to] === 1) {
        const names = [...path.slice(path.indexOf(to)), to].map((x) => g.chains[x]!.name);
        const key = [...names].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          const r = g.chains[ci]!.rules[k]!;
          issues.add(IssueCode.LOOP, `jump loop: ${names.join(' -> ')}`, r.line, r.targetColumn, lineText(r.line) || r.text);
        }
      } else if (state[to] === 0) {
        state[to] = 1;
        path.push(to);
        next.push(0);
      }
    }
  });
}

// Load-time checks of one table section, as ip_tables' translate_table does them: which hooks reach each
// chain through jumps and gotos (mark_source_chains), loops in that graph, and every match and target's
// checkentry (xt_check_match/xt_check_target: table, hook mask, protocol, then the module's own check).

import type { Chain, FamilyNumber, Rule, Table } from './ast.js';
import { TargetType } from './ast.js';
import type { CheckContext, ModuleBase } from './module.js';
import { IssueCode } from './issues.js';
import type { IssueList } from './issues.js';
import { protocolName } from './names.js';

/** Builtin chain name → hook number (Hook in skb.ts). */
export const CHAIN_HOOK: Readonly<Record<string, number>> = { PREROUTING: 0, INPUT: 1, FORWARD: 2, OUTPUT: 3, POSTROUTING: 4 };

const HOOK_LABEL = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

/** HookBit mask of every chain of a table: the hooks whose builtin chain reaches it. */
export function chainHookMasks(t: Table): Map<string, number> {
  const masks = new Map<string, number>();
  const byName = new Map<string, Chain>(t.chains.map((c) => [c.name, c]));
  for (const c of t.chains) masks.set(c.name, c.builtin && CHAIN_HOOK[c.name] !== undefined ? 1 << CHAIN_HOOK[c.name]! : 0);
  // propagate along jump/goto edges until nothing changes (the graph is small; each pass is linear)
  let changed = true;
  let guard = 0;
  while (changed && guard++ <= t.chains.length + 1) {
    changed = false;
    for (const c of t.chains) {
      const m = masks.get(c.name)!;
      if (m === 0) continue;
      for (const r of c.rules) {
        if (r.target.type !== TargetType.JUMP && r.target.type !== TargetType.GOTO) continue;
        const to = byName.get(r.target.chain);
        if (to === undefined) continue;
        const old = masks.get(to.name)!;
        if ((old | m) !== old) {
          masks.set(to.name, old | m);
          changed = true;
        }
      }
    }
  }
  return masks;
}

/** Run every load-time check of a table section, adding issues. */
export function validateTable(t: Table, family: FamilyNumber, issues: IssueList, lineText: (line: number) => string): void {
  const masks = chainHookMasks(t);
  findLoops(t, masks, issues, lineText);
  for (const c of t.chains) {
    const hookMask = masks.get(c.name) ?? 0;
    for (const r of c.rules) checkRule(r, t.name, family, hookMask, issues, lineText);
  }
}

function checkRule(r: Rule, table: string, family: FamilyNumber, hookMask: number, issues: IssueList, lineText: (line: number) => string): void {
  const text = lineText(r.line) || r.text;
  let column = 0;
  const ctx: CheckContext = {
    family,
    table,
    hookMask,
    ip: r.ip,
    matches: r.matches,
    error(code: string, message: string): void {
      issues.add(code, message, r.line, column, text);
    },
  };
  for (const m of r.matches) {
    column = m.column;
    checkModule(m.module, m.data, `${m.name} match`, ctx);
  }
  if (r.target.type === TargetType.EXTENSION) {
    column = r.targetColumn;
    checkModule(r.target.module, r.target.data, `${r.target.name} target`, ctx);
  }
}

function checkModule(mod: ModuleBase<unknown>, data: unknown, what: string, ctx: CheckContext): void {
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

/** Cycles among chains reachable from a hook (ip_tables rejects those at load). */
function findLoops(t: Table, masks: Map<string, number>, issues: IssueList, lineText: (line: number) => string): void {
  const byName = new Map<string, Chain>(t.chains.map((c) => [c.name, c]));
  const state = new Map<string, number>(); // 0 new, 1 on stack, 2 done
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (c: Chain): void => {
    state.set(c.name, 1);
    stack.push(c.name);
    for (const r of c.rules) {
      if (r.target.type !== TargetType.JUMP && r.target.type !== TargetType.GOTO) continue;
      const to = byName.get(r.target.chain);
      if (to === undefined) continue;
      const s = state.get(to.name) ?? 0;
      if (s === 1) {
        const cycle = [...stack.slice(stack.indexOf(to.name)), to.name];
        const key = [...cycle].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          issues.add(IssueCode.LOOP, `jump loop: ${cycle.join(' -> ')}`, r.line, r.targetColumn, lineText(r.line) || r.text);
        }
      } else if (s === 0) {
        visit(to);
      }
    }
    stack.pop();
    state.set(c.name, 2);
  };
  for (const c of t.chains) {
    if ((masks.get(c.name) ?? 0) === 0 || !c.builtin) continue;
    if ((state.get(c.name) ?? 0) === 0) visit(c);
  }
}

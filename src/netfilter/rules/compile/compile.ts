// Compiles a TableLayout into specialised JavaScript (new Function): one function per chain — or, for large
// tables, one shared template per distinct chain shape instantiated with each chain's constants — plus the
// hook dispatcher that applies builtin-chain policies. Runs of service rules are indexed (run-index.ts).

import { RuleError } from '../../../util/errors.js';
import type { TableLayout } from '../engine-layout.js';
import type { RuleCounters } from '../counters.js';
import type { Skb } from '../../skb.js';
import type { RuleEnv } from '../engine-env.js';
import type { RuleResult } from '../engine-result.js';
import { Code, SlotExecutor } from './slot-exec.js';
import type { ChainFn } from './slot-exec.js';
import { LiteralEmitter, PoolEmitter } from './emit.js';
import { emitChainBody } from './codegen.js';
import type { PlannedRun } from './codegen.js';
import { planRuns, safeL4 } from './plan.js';
import { CtState } from '../match/xt_conntrack.js';
import { CtStatus } from '../../skb.js';

/** Compiler tuning. */
export interface CompileOptions {
  /** Tables with at most this many slots get one fully specialised function per chain; default 4096. */
  literalMaxSlots?: number;
  /** Shortest run of indexable rules that gets an index; default 16 (0 disables indexing). */
  minRun?: number;
  /** Deepest chain nesting compiled (JS call depth); deeper tables stay interpreted. Default 2000. */
  maxDepth?: number;
}

/** A compiled table. */
export interface CompiledTable {
  /** HOT: evaluate at `hook`; same contract as interpretTable. */
  run(hook: number, skb: Skb, env: RuleEnv, res: RuleResult): number;
  /** Generated source, for inspection. */
  readonly source: string;
  /** Number of distinct chain functions generated (templates in template mode). */
  readonly functions: number;
  readonly mode: 'literal' | 'template';
  /** Indexed runs and the rules they cover. */
  readonly runs: number;
  readonly indexedRules: number;
}

const PRELUDE = `"use strict";
const RET = ${Code.RET}, HOT = ${Code.HOT}, NOMATCH = ${Code.NOMATCH}, CONT = ${Code.CONT};
const PC = counters.pkts, BC = counters.bytes, SS = L.stackSize;
// xt_conntrack.ts packetStateBits(skb, true) and (skb, false)
function CTB(skb) {
  if (skb.untracked !== 0) return ${CtState.UNTRACKED};
  if (skb.ct < 0) return ${CtState.INVALID};
  const st = skb.ctStatus;
  return (1 << ((skb.ctInfo % 3) + 1)) | ((st & ${CtStatus.SRC_NAT}) !== 0 ? ${CtState.SNAT} : 0) | ((st & ${CtStatus.DST_NAT}) !== 0 ? ${CtState.DNAT} : 0);
}
function CTS(skb) {
  if (skb.untracked !== 0) return ${CtState.UNTRACKED};
  if (skb.ct < 0) return ${CtState.INVALID};
  return 1 << ((skb.ctInfo % 3) + 1);
}
`;

/** The hook dispatcher: calls the builtin chain, applies the policy when it returns, fills in `res`. */
function dispatcherSource(L: TableLayout, chainRef: (ci: number) => string): string {
  let cases = '';
  for (let h = 0; h < 5; h++) {
    const e = L.hookEntry[h]!;
    if (e < 0) continue;
    // an empty builtin chain has its entry at its tail slot, which belongs to it too
    cases += `case ${h}: v = ${chainRef(L.chainOf[e]!)}(skb, env, res, 0); t = ${L.hookPolicy[h]}; break;\n`;
  }
  return `return function run(hook, skb, env, res) {
  res.reset(L);
  env.match.hotdrop = 0;
  let v = 0, t = 0;
  switch (hook) {
${cases}  default: return 1;
  }
  if (v === RET) {
    res.rulesVisited += 1; PC[t] += 1; BC[t] += skb.meta.ipTotalLen;
    v = L.verdict[t]; res.slot = t; res.decision = 2; res.verdict = v; return v;
  }
  if (v === HOT || env.match.hotdrop !== 0) { res.hotdrop = 1; v = 0; }
  res.decision = 1; res.ruleId = L.ruleId[res.slot]; res.verdict = v; return v;
};`;
}

/** Compile `L` (its counters are `counters`). Throws RuleError ERR_COMPILE_* for tables it will not compile. */
export function compileTable(L: TableLayout, counters: RuleCounters, opts: CompileOptions = {}): CompiledTable {
  const maxDepth = opts.maxDepth ?? 2000;
  if (L.maxDepth > maxDepth) {
    throw new RuleError('ERR_COMPILE_DEPTH', `table ${L.name} nests chains ${L.maxDepth} deep (compiler limit ${maxDepth})`);
  }
  const X = new SlotExecutor(L, counters.pkts, counters.bytes);
  const runs = planRuns(L, opts.minRun ?? 16);
  let indexedRules = 0;
  let nruns = 0;
  for (const rs of runs) for (const r of rs) {
    nruns++;
    indexedRules += r.k1 - r.k0;
  }
  const literal = L.size <= (opts.literalMaxSlots ?? 4096);
  return literal ? compileLiteral(L, counters, X, runs, nruns, indexedRules) : compileTemplates(L, counters, X, runs, nruns, indexedRules);
}

function compileLiteral(
  L: TableLayout,
  counters: RuleCounters,
  X: SlotExecutor,
  runs: PlannedRun[][],
  nruns: number,
  indexedRules: number,
): CompiledTable {
  const objects: unknown[] = [];
  const E = new LiteralEmitter(objects, new Map());
  let fns = '';
  for (let ci = 0; ci < L.chains.length; ci++) {
    fns += `function c${ci}(skb, env, res, d) {\n${emitChainBody(L, ci, E, runs[ci]!)}}\n`;
  }
  let hoist = '';
  for (let i = 0; i < objects.length; i++) hoist += `const O${i} = OBJ[${i}];\n`;
  const list = L.chains.map((_, ci) => `c${ci}`).join(', ');
  const source = PRELUDE + hoist + fns + `X.chains = [${list}];\n` + dispatcherSource(L, (ci) => `c${ci}`);
  const factory = new Function('L', 'counters', 'X', 'OBJ', 'SAFE_L4', source) as (
    l: TableLayout,
    c: RuleCounters,
    x: SlotExecutor,
    o: unknown[],
    s: typeof safeL4,
  ) => CompiledTable['run'];
  const run = factory(L, counters, X, objects, safeL4);
  return { run, source, functions: L.chains.length, mode: 'literal', runs: nruns, indexedRules };
}

function compileTemplates(
  L: TableLayout,
  counters: RuleCounters,
  X: SlotExecutor,
  runs: PlannedRun[][],
  nruns: number,
  indexedRules: number,
): CompiledTable {
  const templates = new Map<string, number>();
  const bodies: string[] = [];
  const inst: { t: number; ints: Int32Array; objs: unknown[] }[] = [];
  for (let ci = 0; ci < L.chains.length; ci++) {
    const E = new PoolEmitter();
    const body = emitChainBody(L, ci, E, runs[ci]!);
    let t = templates.get(body);
    if (t === undefined) {
      t = bodies.length;
      templates.set(body, t);
      bodies.push(body);
    }
    inst.push({ t, ints: Int32Array.from(E.ints), objs: E.objs });
  }
  let tsrc = '';
  for (let t = 0; t < bodies.length; t++) tsrc += `function (KI, KO) { return function chain(skb, env, res, d) {\n${bodies[t]}}; },\n`;
  const source = PRELUDE + `const CF = X.chains;\nconst T = [\n${tsrc}];\nreturn { T, run: (() => { ${dispatcherSource(L, (ci) => `CF[${ci}]`)} })() };`;
  const factory = new Function('L', 'counters', 'X', 'SAFE_L4', source) as (
    l: TableLayout,
    c: RuleCounters,
    x: SlotExecutor,
    s: typeof safeL4,
  ) => { T: ((ki: Int32Array, ko: unknown[]) => ChainFn)[]; run: CompiledTable['run'] };
  const chains: ChainFn[] = new Array<ChainFn>(L.chains.length);
  X.chains = chains;
  const made = factory(L, counters, X, safeL4);
  for (let ci = 0; ci < inst.length; ci++) {
    const i = inst[ci]!;
    chains[ci] = made.T[i.t]!(i.ints, i.objs);
  }
  return { run: made.run, source, functions: bodies.length, mode: 'template', runs: nruns, indexedRules };
}

// Compiles a TableLayout into specialised JavaScript (new Function): one function per chain — or, for tables
// with many chains, one shared template per distinct chain shape reading each chain's constants from flat
// pools — plus the hook dispatcher that applies builtin-chain policies. Runs of service rules are indexed.

import { RuleError } from '../../../util/errors.js';
import type { TableLayout } from '../engine-layout.js';
import type { RuleCounters } from '../counters.js';
import type { Skb } from '../../skb.js';
import type { RuleEnv } from '../engine-env.js';
import type { RuleResult } from '../engine-result.js';
import { Code, SlotExecutor } from './slot-exec.js';
import { LiteralEmitter, PoolEmitter } from './emit.js';
import { emitChainBody } from './codegen.js';
import type { PlannedRun } from './codegen.js';
import { planRuns, safeL4 } from './plan.js';
import { keyIsWholeCondition } from './keys.js';
import { INFO_STRIDE, Info } from './run-index.js';
import { SlotTarget } from '../engine-layout.js';
import { CtState } from '../match/xt_conntrack.js';
import { CtStatus } from '../../skb.js';

/** Compiler tuning. */
export interface CompileOptions {
  /** Tables with at most this many slots and literalMaxChains chains get one fully specialised function per chain (default 4096). */
  literalMaxSlots?: number;
  /** See literalMaxSlots; default 64. */
  literalMaxChains?: number;
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
const CV = counters.values, SS = L.stackSize;
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
function dispatcherSource(L: TableLayout, call: (ci: number) => string): string {
  let cases = '';
  for (let h = 0; h < 5; h++) {
    const e = L.hookEntry[h]!;
    if (e < 0) continue;
    // an empty builtin chain has its entry at its tail slot, which belongs to it too
    cases += `case ${h}: v = ${call(L.chainOf[e]!)}; t = ${L.hookPolicy[h]}; break;\n`;
  }
  return `return function run(hook, skb, env, res) {
  res.reset(L);
  env.match.hotdrop = 0;
  let v = 0, t = 0;
  switch (hook) {
${cases}  default: return 1;
  }
  if (v === RET) {
    res.rulesVisited += 1; CV[2 * t] += 1; CV[2 * t + 1] += skb.meta.ipTotalLen;
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
  const X = new SlotExecutor(L, counters.values);
  const runs = planRuns(L, opts.minRun ?? 16);
  let indexedRules = 0;
  let nruns = 0;
  for (const rs of runs) {
    for (const r of rs) {
      nruns++;
      indexedRules += r.k1 - r.k0;
    }
  }
  // one specialised function per chain pays off only when few chains must each warm up in the JIT; tables
  // with many chains (kube-proxy's per-service chains) share templates instead
  const literal = L.size <= (opts.literalMaxSlots ?? 4096) && L.chains.length <= (opts.literalMaxChains ?? 64);
  return literal ? compileLiteral(L, counters, X, runs, nruns, indexedRules) : compileTemplates(L, counters, X, runs, nruns, indexedRules);
}

/** Fill the runs' candidate words once every chain's function and pool offsets are known. */
function fillRunInfo(L: TableLayout, X: SlotExecutor, runs: PlannedRun[][]): void {
  for (let ci = 0; ci < runs.length; ci++) {
    const start = L.chains[ci]!.start;
    for (const r of runs[ci]!) {
      const info = r.index.info;
      for (let k = r.k0; k < r.k1; k++) {
        const s = start + k;
        const i = INFO_STRIDE * (k - r.k0);
        const kind = L.targetKind[s]!;
        info[i + Info.KEY_ONLY] = keyIsWholeCondition(L, s) ? 1 : 0;
        info[i + Info.KIND] = kind;
        if (kind === SlotTarget.VERDICT) info[i + Info.A1] = L.verdict[s]!;
        if (kind === SlotTarget.JUMP || kind === SlotTarget.GOTO) {
          const c = L.jumpChain[s]!;
          info[i + Info.A1] = X.chainFn[c]!;
          info[i + Info.A2] = X.chainOff[c]!;
          info[i + Info.A3] = X.chainObj[c]!;
        }
      }
    }
  }
}

type Factory = (l: TableLayout, c: RuleCounters, x: SlotExecutor, s: typeof safeL4, o: unknown[], k: Int32Array) => CompiledTable['run'];

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
    X.chainFn[ci] = ci;
  }
  let hoist = '';
  for (let i = 0; i < objects.length; i++) hoist += `const O${i} = OBJ[${i}];\n`;
  const list = L.chains.map((_, ci) => `c${ci}`).join(', ');
  fillRunInfo(L, X, runs);
  const source = PRELUDE + hoist + fns + `const TF = [${list}];\nX.fns = TF;\n` + dispatcherSource(L, (ci) => `c${ci}(skb, env, res, 0)`);
  const factory = new Function('L', 'counters', 'X', 'SAFE_L4', 'OBJ', 'K', source) as Factory;
  const run = factory(L, counters, X, safeL4, objects, new Int32Array(0));
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
  const pools: PoolEmitter[] = [];
  let nints = 0;
  const objs: unknown[] = [];
  for (let ci = 0; ci < L.chains.length; ci++) {
    const E = new PoolEmitter();
    const body = emitChainBody(L, ci, E, runs[ci]!);
    let t = templates.get(body);
    if (t === undefined) {
      t = bodies.length;
      templates.set(body, t);
      bodies.push(body);
    }
    X.chainFn[ci] = t;
    X.chainOff[ci] = nints;
    X.chainObj[ci] = objs.length;
    nints += E.ints.length;
    for (const o of E.objs) objs.push(o);
    pools.push(E);
  }
  // one flat int pool for every chain, with each chain call patched to its callee's template and offsets
  const K = new Int32Array(nints);
  for (let ci = 0; ci < pools.length; ci++) {
    const E = pools[ci]!;
    const off = X.chainOff[ci]!;
    K.set(E.ints, off);
    for (const pt of E.patches) {
      K[off + pt.at] = X.chainFn[pt.chain]!;
      K[off + pt.at + 1] = X.chainOff[pt.chain]!;
      K[off + pt.at + 2] = X.chainObj[pt.chain]!;
    }
  }
  fillRunInfo(L, X, runs);
  let tsrc = '';
  for (let t = 0; t < bodies.length; t++) tsrc += `function T${t}(skb, env, res, d, o, p) {\n${bodies[t]}}\n`;
  const list = bodies.map((_, t) => `T${t}`).join(', ');
  const call = (ci: number): string => `T${X.chainFn[ci]}(skb, env, res, 0, ${X.chainOff[ci]}, ${X.chainObj[ci]})`;
  const source = PRELUDE + `const KO = OBJ;\n` + tsrc + `const TF = [${list}];\nX.fns = TF;\n` + dispatcherSource(L, call);
  const factory = new Function('L', 'counters', 'X', 'SAFE_L4', 'OBJ', 'K', source) as Factory;
  const run = factory(L, counters, X, safeL4, objs, K);
  return { run, source, functions: bodies.length, mode: 'template', runs: nruns, indexedRules };
}

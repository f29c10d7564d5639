// The rules engine's public face: load a parsed RuleSet into one frozen program per table (compiled to
// specialised JavaScript, or the reference interpreter), and evaluate a table at a hook for a packet:
// verdict = runTable(program, hook, skb, env, result). Counters, module states and the layout are shared by
// both evaluators of a program, so traceTable() can explain any packet with the interpreter.

import type { Chain, Rule, RuleSet, Table } from './ast.js';
import type { CounterPair, CounterSource } from './print.js';
import { Family } from './ast.js';
import { BasicLoadContext } from './module.js';
import type { IpSetCatalog } from './ipset.js';
import type { Skb } from '../skb.js';
import { RuleError } from '../../util/errors.js';
import type { Interner } from '../../util/intern.js';
import { TableLayout } from './engine-layout.js';
import { RuleCounters } from './counters.js';
import { RuleResult } from './engine-result.js';
import type { RuleEnv } from './engine-env.js';
import { interpretTable } from './interpret.js';
import type { TraceSink } from './trace.js';
import { compileTable } from './compile/compile.js';
import type { CompileOptions, CompiledTable } from './compile/compile.js';

export { RuleResult, Decision } from './engine-result.js';
export type { RuleEnv } from './engine-env.js';

/** Which evaluator runTable() uses. */
export type EngineKind = 'compiled' | 'interpreted';

/** Options of loadEngine(). */
export interface LoadOptions {
  /** The datapath's interface interner: ids agree with skb.inIf/outIf; names in rules are interned too. */
  interner: Interner;
  /** Evaluator of runTable(); default 'compiled'. */
  engine?: EngineKind;
  /** Kernel HZ for jiffies arithmetic of modules (limit, recent); default 250. */
  hz?: number;
  ipsets?: IpSetCatalog | null;
  /** Jump stack size override (tests); default as the kernel, user chains + 1. */
  stackSize?: number;
  /** Compiler tuning (index thresholds). */
  compile?: CompileOptions;
}

/** A table at evaluation time: its layout, counters, jump stack and evaluator. Frozen after load. */
export class TableProgram {
  readonly name: string;
  readonly layout: TableLayout;
  readonly counters: RuleCounters;
  readonly engine: EngineKind;
  /** Jump stack of the interpreter (per program; one thread uses a program). */
  readonly stack: Int32Array;
  /** Compiled code, null for interpreted programs (and for tables the compiler refused). */
  readonly compiled: CompiledTable | null;
  /** Why a table meant to be compiled runs on the interpreter (the compiler's typed refusal), else null. */
  readonly fallback: RuleError | null;

  constructor(layout: TableLayout, engine: EngineKind, compile: CompileOptions | undefined) {
    this.name = layout.name;
    this.layout = layout;
    this.counters = new RuleCounters(layout);
    this.stack = new Int32Array(Math.max(1, layout.stackSize));
    let compiled: CompiledTable | null = null;
    let fallback: RuleError | null = null;
    if (engine === 'compiled') {
      try {
        compiled = compileTable(layout, this.counters, compile);
      } catch (e) {
        if (!(e instanceof RuleError) || !e.code.startsWith('ERR_COMPILE')) throw e;
        fallback = e;
      }
    }
    this.compiled = compiled;
    this.fallback = fallback;
    this.engine = compiled !== null ? 'compiled' : 'interpreted';
  }
}

/** A loaded rule set: one program per table. Also the counter source of `iptables-save -c` printing. */
export class RuleEngine implements CounterSource {
  readonly ruleSet: RuleSet;
  readonly engine: EngineKind;
  readonly tables: ReadonlyMap<string, TableProgram>;

  constructor(ruleSet: RuleSet, engine: EngineKind, tables: Map<string, TableProgram>) {
    this.ruleSet = ruleSet;
    this.engine = engine;
    this.tables = tables;
  }

  /** The program of table `name`, or undefined when the rule set has no such section. */
  table(name: string): TableProgram | undefined {
    return this.tables.get(name);
  }

  /** Zero every counter. */
  resetCounters(): void {
    for (const p of this.tables.values()) p.counters.reset();
  }

  /** Counters of the rule with global id `ruleId` (null when unknown). */
  ruleCounters(ruleId: number): { pkts: bigint; bytes: bigint } | null {
    const r = this.ruleSet.rules[ruleId];
    if (r === undefined) return null;
    return this.tables.get(r.table)?.counters.rule(ruleId) ?? null;
  }

  /** Policy counters of builtin chain `chain` of `table` (null when unknown). */
  policyCounters(table: string, chain: string): { pkts: bigint; bytes: bigint } | null {
    return this.tables.get(table)?.counters.policy(chain) ?? null;
  }

  /** CounterSource: a rule's counters (printRuleSet(rs, { counters: engine })). */
  rule(rule: Rule): CounterPair | null {
    return this.ruleCounters(rule.id);
  }

  /** CounterSource: a builtin chain's policy counters. */
  policy(table: Table, chain: Chain): CounterPair | null {
    return this.policyCounters(table.name, chain.name);
  }
}

/** Load a parsed IPv4 rule set. Throws RuleError for sets the engine cannot evaluate. */
export function loadEngine(rs: RuleSet, opts: LoadOptions): RuleEngine {
  if (rs.family !== Family.IPV4) {
    throw new RuleError('ERR_RULE_FAMILY', 'only IPv4 (iptables) rule sets can be evaluated; this is an ip6tables set', { path: rs.path });
  }
  const engine = opts.engine ?? 'compiled';
  const interner = opts.interner;
  const load = new BasicLoadContext({ hz: opts.hz ?? 250, ipsets: opts.ipsets ?? null, intern: (n) => interner.intern(n) });
  const tables = new Map<string, TableProgram>();
  // every interface name of every table first, so that each table's prefix tables cover them all
  for (const r of rs.rules) {
    if (r.ip.inIface !== '' && !r.ip.inWildcard) interner.intern(r.ip.inIface);
    if (r.ip.outIface !== '' && !r.ip.outWildcard) interner.intern(r.ip.outIface);
  }
  for (const t of rs.tables) {
    const layoutOpts = opts.stackSize !== undefined ? { interner, load, stackSize: opts.stackSize } : { interner, load };
    const layout = new TableLayout(t, layoutOpts);
    tables.set(t.name, Object.freeze(new TableProgram(layout, engine, opts.compile)));
  }
  return Object.freeze(new RuleEngine(rs, engine, tables));
}

/**
 * HOT: evaluate `program` at `hook` (Hook.*) for `skb`. Counters are updated, `result` receives the verdict,
 * the deciding rule or policy and the number of entries the kernel's linear walk visited.
 */
// HOT: allocation-free
export function runTable(program: TableProgram, hook: number, skb: Skb, env: RuleEnv, result: RuleResult): number {
  const c = program.compiled;
  if (c !== null) return c.run(hook, skb, env, result);
  return interpretTable(program.layout, program.counters, program.stack, hook, skb, env, result, null);
}

/** Evaluate with the reference interpreter, reporting every step to `sink` (same counters and states). */
export function traceTable(program: TableProgram, hook: number, skb: Skb, env: RuleEnv, result: RuleResult, sink: TraceSink | null): number {
  return interpretTable(program.layout, program.counters, program.stack, hook, skb, env, result, sink);
}

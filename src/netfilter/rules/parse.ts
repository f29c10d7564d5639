// Reads an iptables-save / iptables-restore file into a RuleSet (iptables-restore.c's line loop): `*table`
// sections ended by COMMIT, `:CHAIN POLICY [pkts:bytes]` lines, `[pkts:bytes] -A ...` rules, comments and blank
// lines kept for printing. Every problem becomes a RuleIssue (line, column, code, text); parsing goes on after
// one, so a file's issues are all reported together. Load-time checks run per section (validate.ts).

import * as fs from 'node:fs/promises';
import type { Chain, Counters, FamilyNumber, Rule, RuleSet, Table, TopItem } from './ast.js';
import { Family, STANDARD_VERDICTS, TABLE_BUILTINS } from './ast.js';
import type { ModuleRegistry } from './module.js';
import type { IpSetCatalog } from './ipset.js';
import { IssueCode, IssueList, RuleSetError } from './issues.js';
import type { RuleIssue } from './issues.js';
import { tokenize } from './tokenize.js';
import { RuleFailure, parseCounter, parseRuleTokens } from './parse-rule.js';
import { builtinRegistry } from './builtin.js';
import { validateTable } from './validate.js';

/** Options of parseRuleSet. */
export interface ParseOptions {
  /** Path for messages ('' when parsing a string). */
  path?: string;
  /** Address family; 'auto' (default) looks at headers and addresses. */
  family?: 'auto' | FamilyNumber;
  /** ipset contents for `-m set` (see ipset-parse.ts). */
  ipsets?: IpSetCatalog | null;
  /** Module registry (default: every built-in module). */
  registry?: ModuleRegistry;
  /** Cap on the number of issues listed (default 10,000). */
  maxIssues?: number;
}

/** A parsed rule set with every issue found (the set is usable only when `issues` is empty). */
export interface ParseResult {
  ruleset: RuleSet;
  issues: RuleIssue[];
}

/** iptables' chain label limit for restore (XT_EXTENSION_MAXNAMELEN - 1). */
export const MAX_CHAIN_NAME = 28;

/** Parse rule-set text; never throws for bad input. */
export function parseRuleSet(text: string, opts: ParseOptions = {}): ParseResult {
  const path = opts.path ?? '';
  const issues = new IssueList(path, opts.maxIssues ?? 10_000);
  const registry = opts.registry ?? builtinRegistry();
  const lines = splitLines(text);
  const family: FamilyNumber = opts.family === undefined || opts.family === 'auto' ? detectFamily(lines) : opts.family;
  const rs: RuleSet = { path, family, items: [], tables: [], rules: [] };
  let cur: Table | null = null;
  const chainsOf = new Map<Table, Map<string, Chain>>();

  const closeTable = (t: Table): void => {
    const byName = chainsOf.get(t)!;
    for (const b of TABLE_BUILTINS[t.name] ?? []) {
      if (!byName.has(b)) {
        const c: Chain = { name: b, builtin: true, policy: 'ACCEPT', policyVerdict: STANDARD_VERDICTS.ACCEPT!, counters: null, line: 0, rules: [] };
        byName.set(b, c);
        t.chains.push(c);
      }
    }
    validateTable(t, family, issues, (line) => lines[line - 1] ?? '');
  };

  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    const line = lines[n]!;
    let indent = 0;
    while (indent < line.length && (line.charCodeAt(indent) === 32 || line.charCodeAt(indent) === 9)) indent++;
    const trimmed = indent === 0 ? line : line.slice(indent);
    const add = (code: string, message: string, column: number): void => issues.add(code, message, lineNo, column, line);
    if (trimmed.length === 0 || isBlank(trimmed)) {
      const item = { kind: 'blank' as const, line: lineNo, text: line };
      if (cur !== null) cur.items.push(item);
      else rs.items.push(item);
      continue;
    }
    if (trimmed.startsWith('#')) {
      const item = { kind: 'comment' as const, line: lineNo, text: line };
      if (cur !== null) cur.items.push(item);
      else rs.items.push(item);
      continue;
    }
    if (trimmed.startsWith('*')) {
      const name = trimmed.slice(1).split(/[ \t]+/)[0] ?? '';
      if (cur !== null) {
        issues.add(IssueCode.NO_COMMIT, `table \`${cur.name}' (line ${cur.line}) ends without COMMIT`, lineNo, indent + 1, line);
        closeTable(cur);
        cur = null;
      }
      if (TABLE_BUILTINS[name] === undefined) {
        add(IssueCode.UNKNOWN_TABLE, `unknown table \`${name}' (tables: raw, mangle, nat, filter, security)`, indent + 2);
      } else if (rs.tables.some((t) => t.name === name)) {
        add(IssueCode.TABLE_REPEATED, `table \`${name}' appears twice in one file`, indent + 2);
      }
      const t: Table = { name, line: lineNo, chains: [], items: [], commitLine: 0 };
      chainsOf.set(t, new Map());
      rs.tables.push(t);
      rs.items.push({ kind: 'table', table: t } satisfies TopItem);
      cur = t;
      continue;
    }
    if (trimmed.startsWith('COMMIT') && isBlank(trimmed.slice(6))) {
      if (cur === null) {
        add(IssueCode.NO_TABLE, 'COMMIT outside a table section', indent + 1);
        continue;
      }
      cur.commitLine = lineNo;
      closeTable(cur);
      cur = null;
      continue;
    }
    if (cur === null) {
      add(IssueCode.NO_TABLE, trimmed.startsWith(':') || trimmed.startsWith('-') || trimmed.startsWith('[') ? 'line outside a *table section' : `Bad line: \`${trimmed}'`, indent + 1);
      continue;
    }
    const byName = chainsOf.get(cur)!;
    if (trimmed.startsWith(':')) {
      parseChainLine(cur, byName, trimmed, indent, lineNo, add);
      continue;
    }
    const rule = parseRuleLine(cur, byName, rs, family, registry, opts.ipsets ?? null, line, trimmed, indent, lineNo, add);
    if (rule !== null) {
      rule.id = rs.rules.length;
      rs.rules.push(rule);
      cur.items.push({ kind: 'rule', rule });
    }
  }
  if (cur !== null) {
    issues.add(IssueCode.NO_COMMIT, `table \`${cur.name}' has no COMMIT`, cur.line, 1, lines[cur.line - 1] ?? '');
    closeTable(cur);
  }
  const list = issues.finish();
  list.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { ruleset: rs, issues: list };
}

/** Parse and require a clean load: throws RuleSetError listing every issue. */
export function loadRuleSet(text: string, opts: ParseOptions = {}): RuleSet {
  const r = parseRuleSet(text, opts);
  if (r.issues.length > 0) throw new RuleSetError(r.issues, opts.path);
  return r.ruleset;
}

/** Read and parse a file (UTF-8). */
export async function parseRuleSetFile(path: string, opts: ParseOptions = {}): Promise<ParseResult> {
  const text = await fs.readFile(path, 'utf8');
  return parseRuleSet(text, { ...opts, path });
}

/** Only spaces and tabs. */
function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** IPv6 when the header says ip6tables or an address/target argument is IPv6; IPv4 otherwise. */
export function detectFamily(lines: readonly string[]): FamilyNumber {
  for (const l of lines) {
    if (/^#.*\bip6tables(-nft|-legacy)?-save\b/.test(l)) return Family.IPV6;
    if (/^#.*\biptables(-nft|-legacy)?-save\b/.test(l)) return Family.IPV4;
  }
  for (const l of lines) {
    if (l.includes('icmp6') && (/--reject-with\s+icmp6-/.test(l) || /-m\s+icmp6\b/.test(l))) return Family.IPV6;
    // only lines with two colons can name an IPv6 address (IPv4 ranges use at most one)
    const c = l.indexOf(':');
    if (c < 0 || l.indexOf(':', c + 1) < 0 || l.startsWith(':') || l.startsWith('#')) continue;
    if (/(^|\s)(-s|-d|--source|--destination|--src|--dst)\s+\S*:/.test(l)) return Family.IPV6;
    if (/--to-(destination|source)\s+\[/.test(l)) return Family.IPV6;
    if (/--to-(destination|source)\s+[0-9a-fA-F]*:[0-9a-fA-F]*:/.test(l)) return Family.IPV6;
  }
  return Family.IPV4;
}

type AddIssue = (code: string, message: string, column: number) => void;

/** `:NAME POLICY [pkts:bytes]` (iptables-restore's strtok over " \t"). */
function parseChainLine(t: Table, byName: Map<string, Chain>, trimmed: string, indent: number, lineNo: number, add: AddIssue): void {
  // strtok(" \t") over the text after the colon, remembering columns
  const parts: Array<{ text: string; col: number }> = [];
  for (let i = 1; i < trimmed.length; ) {
    const c = trimmed.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < trimmed.length && trimmed.charCodeAt(j) !== 32 && trimmed.charCodeAt(j) !== 9) j++;
    parts.push({ text: trimmed.slice(i, j), col: indent + 1 + i });
    i = j;
  }
  const name = parts[0];
  if (name === undefined) {
    add(IssueCode.CHAIN_NAME, 'chain name invalid', indent + 1);
    return;
  }
  if (name.text.length > MAX_CHAIN_NAME) {
    add(IssueCode.CHAIN_NAME, `Invalid chain name \`${name.text}' (${MAX_CHAIN_NAME} chars max)`, name.col);
    return;
  }
  const builtin = (TABLE_BUILTINS[t.name] ?? []).includes(name.text);
  if (!builtin && (STANDARD_VERDICTS[name.text] !== undefined || name.text.startsWith('-'))) {
    add(IssueCode.CHAIN_NAME, `chain name \`${name.text}' is not allowed`, name.col);
    return;
  }
  if (byName.has(name.text)) {
    add(IssueCode.CHAIN_EXISTS, `chain \`${name.text}' already declared (line ${byName.get(name.text)!.line})`, name.col);
    return;
  }
  const policy = parts[1];
  if (policy === undefined) {
    add(IssueCode.POLICY, `chain \`${name.text}': policy invalid (missing)`, name.col + name.text.length);
    return;
  }
  let counters: Counters | null = null;
  const ctr = parts[2];
  if (ctr !== undefined) {
    counters = parseBracketCounters(ctr.text);
    if (counters === null && builtin) {
      add(IssueCode.COUNTERS, `invalid policy counters for chain '${name.text}'`, ctr.col);
      return;
    }
  }
  if (parts.length > 3) {
    add(IssueCode.SYNTAX, `unexpected \`${parts[3]!.text}' after the chain counters`, parts[3]!.col);
    return;
  }
  let pol: string | null = null;
  let verdict = -1;
  if (policy.text !== '-') {
    if (!builtin) {
      add(IssueCode.POLICY, `Can't set policy \`${policy.text}' on \`${name.text}': only builtin chains have policies`, policy.col);
      return;
    }
    if (policy.text !== 'ACCEPT' && policy.text !== 'DROP') {
      add(IssueCode.POLICY, `Can't set policy \`${policy.text}' on \`${name.text}': policy must be ACCEPT or DROP`, policy.col);
      return;
    }
    pol = policy.text;
    verdict = STANDARD_VERDICTS[policy.text]!;
  } else if (builtin) {
    pol = 'ACCEPT';
    verdict = STANDARD_VERDICTS.ACCEPT!;
  }
  const c: Chain = { name: name.text, builtin, policy: pol, policyVerdict: verdict, counters, line: lineNo, rules: [] };
  byName.set(c.name, c);
  t.chains.push(c);
  t.items.push({ kind: 'chain', chain: c });
}

/** `[pkts:bytes]` → counters, or null. */
export function parseBracketCounters(s: string): Counters | null {
  const m = /^\[(\d+):(\d+)\]$/.exec(s);
  if (m === null) return null;
  const p = parseCounter(m[1]!);
  const b = parseCounter(m[2]!);
  return p === null || b === null ? null : { pkts: p, bytes: b };
}

function parseRuleLine(
  t: Table,
  byName: Map<string, Chain>,
  rs: RuleSet,
  family: FamilyNumber,
  registry: ModuleRegistry,
  ipsets: IpSetCatalog | null,
  line: string,
  trimmed: string,
  indent: number,
  lineNo: number,
  add: AddIssue,
): Rule | null {
  let counters: Counters | null = null;
  let from = indent;
  if (trimmed.startsWith('[')) {
    const close = trimmed.indexOf(']');
    if (close < 0) {
      add(IssueCode.COUNTERS, 'Bad line: need ] after the counters', indent + 1);
      return null;
    }
    counters = parseBracketCounters(trimmed.slice(0, close + 1));
    if (counters === null) {
      add(IssueCode.COUNTERS, `bad counters \`${trimmed.slice(0, close + 1)}': need [packets:bytes]`, indent + 1);
      return null;
    }
    from = indent + close + 1;
  }
  const toks = tokenize(line, from);
  if (!Array.isArray(toks)) {
    add(IssueCode.QUOTE, toks.error, toks.column);
    return null;
  }
  const builtins = TABLE_BUILTINS[t.name] ?? [];
  try {
    const p = parseRuleTokens(toks, {
      family,
      table: t.name,
      registry,
      ipsets,
      restore: true,
      chainKind: (name) => (builtins.includes(name) ? 'builtin' : byName.has(name) ? 'user' : null),
    });
    let chain = byName.get(p.chain);
    if (chain === undefined) {
      if (!builtins.includes(p.chain)) {
        add(IssueCode.UNDECLARED_CHAIN, `chain \`${p.chain}' does not exist: declare it with \`:${p.chain} - [0:0]' first`, p.column + 3);
        return null;
      }
      chain = { name: p.chain, builtin: true, policy: 'ACCEPT', policyVerdict: STANDARD_VERDICTS.ACCEPT!, counters: null, line: 0, rules: [] };
      byName.set(p.chain, chain);
      t.chains.push(chain);
    }
    if (counters !== null && p.counters !== null) {
      add(IssueCode.COUNTERS, 'counters given twice ([pkts:bytes] and -c)', indent + 1);
      return null;
    }
    const rule: Rule = {
      id: rs.rules.length,
      table: t.name,
      chain: p.chain,
      num: chain.rules.length + 1,
      line: lineNo,
      column: p.column,
      text: line,
      counters: counters ?? p.counters,
      countersPrefix: counters !== null,
      ip: p.ip,
      matches: p.matches,
      target: p.target,
      targetColumn: p.targetColumn,
    };
    chain.rules.push(rule);
    return rule;
  } catch (e) {
    if (e instanceof RuleFailure) {
      add(e.code, e.message, e.column);
      return null;
    }
    throw e;
  }
}

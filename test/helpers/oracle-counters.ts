// Counter agreement: parses `iptables-save -c` text (tables, chain policies with [packets:bytes], rules with
// their counter prefix) and `conntrack -S` text (per-CPU statistics), and compares ours with the kernel's
// rule by rule, policy by policy and statistic by statistic.

import type { AgreementFailure } from './oracle-report.js';

export interface IptRule {
  /** 1-based position in its chain (as `iptables -L --line-numbers` counts). */
  index: number;
  /** 1-based line in the file. */
  line: number;
  /** The rule without its counter prefix, whitespace collapsed: "-A FORWARD -j DOCKER-USER". */
  text: string;
  packets: number;
  bytes: number;
}

export interface IptChain {
  name: string;
  /** ACCEPT / DROP for builtin chains, "-" for user chains. */
  policy: string;
  packets: number;
  bytes: number;
  rules: IptRule[];
}

export interface IptTable {
  name: string;
  chains: Map<string, IptChain>;
}

/** Parse `iptables-save -c` output. Lines it cannot read raise an Error naming path and line. */
export function parseIptablesSave(text: string, path = 'iptables-save'): Map<string, IptTable> {
  const tables = new Map<string, IptTable>();
  let cur: IptTable | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    const at = `${path}:${i + 1}`;
    if (raw === '' || raw.startsWith('#')) continue;
    if (raw.startsWith('*')) {
      cur = { name: raw.slice(1), chains: new Map() };
      tables.set(cur.name, cur);
      continue;
    }
    if (raw === 'COMMIT') {
      cur = null;
      continue;
    }
    if (!cur) throw new Error(`${at}: "${raw}" outside a *table section`);
    if (raw.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?$/.exec(raw);
      if (!m) throw new Error(`${at}: cannot read chain line "${raw}"`);
      cur.chains.set(m[1]!, { name: m[1]!, policy: m[2]!, packets: m[3] ? Number(m[3]) : NaN, bytes: m[4] ? Number(m[4]) : NaN, rules: [] });
      continue;
    }
    const m = /^(?:\[(\d+):(\d+)\]\s+)?(-A\s+(\S+).*)$/.exec(raw);
    if (!m) throw new Error(`${at}: cannot read rule line "${raw}"`);
    const chain = cur.chains.get(m[4]!);
    if (!chain) throw new Error(`${at}: rule for undeclared chain ${m[4]}`);
    chain.rules.push({
      index: chain.rules.length + 1,
      line: i + 1,
      text: m[3]!.replace(/\s+/g, ' '),
      packets: m[1] !== undefined ? Number(m[1]) : NaN,
      bytes: m[2] !== undefined ? Number(m[2]) : NaN,
    });
  }
  return tables;
}

const pb = (p: number, b: number): string => (Number.isNaN(p) ? '(no counters)' : `[${p}:${b}]`);

/** Compare two parsed `iptables-save -c` outputs: every table, chain, policy counter, rule text and rule counter. */
export function compareCounters(
  kernel: Map<string, IptTable>,
  ours: Map<string, IptTable>,
  tally?: { rules: number; chains: number },
): AgreementFailure[] {
  const out: AgreementFailure[] = [];
  const fail = (where: string, message: string): void => void out.push({ check: 'counters', where, message });
  for (const [tname, kt] of kernel) {
    const ot = ours.get(tname);
    if (!ot) {
      fail(`table ${tname}`, 'missing from ours');
      continue;
    }
    for (const [cname, kc] of kt.chains) {
      const oc = ot.chains.get(cname);
      if (!oc) {
        fail(`${tname} ${cname}`, 'chain missing from ours');
        continue;
      }
      if (tally) tally.chains++;
      if (kc.policy !== oc.policy) fail(`${tname} ${cname} policy`, `kernel ${kc.policy}, ours ${oc.policy}`);
      else if (kc.packets !== oc.packets || kc.bytes !== oc.bytes)
        fail(`${tname} ${cname} policy ${kc.policy}`, `kernel ${pb(kc.packets, kc.bytes)}, ours ${pb(oc.packets, oc.bytes)}`);
      const n = Math.max(kc.rules.length, oc.rules.length);
      for (let i = 0; i < n; i++) {
        const kr = kc.rules[i];
        const or = oc.rules[i];
        if (!kr) {
          fail(`${tname} ${cname} rule ${i + 1}`, `ours has an extra rule \`${or!.text}\` (line ${or!.line})`);
          continue;
        }
        if (!or) {
          fail(`${tname} ${cname} rule ${i + 1}`, `missing from ours: kernel \`${kr.text}\` ${pb(kr.packets, kr.bytes)}`);
          continue;
        }
        if (tally) tally.rules++;
        if (kr.text !== or.text) fail(`${tname} ${cname} rule ${i + 1}`, `rule text differs: kernel \`${kr.text}\`, ours \`${or.text}\``);
        else if (kr.packets !== or.packets || kr.bytes !== or.bytes)
          fail(`${tname} ${cname} rule ${i + 1} \`${kr.text}\``, `kernel ${pb(kr.packets, kr.bytes)}, ours ${pb(or.packets, or.bytes)} (packets:bytes)`);
      }
    }
    for (const cname of ot.chains.keys()) if (!kt.chains.has(cname)) fail(`${tname} ${cname}`, 'ours has a chain the kernel does not');
  }
  for (const tname of ours.keys()) if (!kernel.has(tname)) fail(`table ${tname}`, 'ours has a table the kernel does not');
  return out;
}

/** `conntrack -S` per-CPU lines summed over CPUs: { found: n, invalid: n, ... }. */
export function parseConntrackStats(text: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    for (const m of line.matchAll(/(\w+)=(\S+)/g)) {
      if (m[1] === 'cpu') continue;
      sums.set(m[1]!, (sums.get(m[1]!) ?? 0) + Number.parseInt(m[2]!, m[2]!.startsWith('0x') ? 16 : 10));
    }
  }
  return sums;
}

/**
 * The statistics compared by default. Left out: search_restart (an RCU hash walk restarted: a property of
 * concurrent resizes, not of the traffic) and chaintoolong (the limit is random per boot). `insert` is
 * compared: on 6.x the confirm path never counts it, so both sides must say 0.
 */
export const CT_STAT_KEYS = ['found', 'invalid', 'insert', 'insert_failed', 'drop', 'early_drop', 'error', 'clash_resolve'] as const;

/** Compare our `conntrack -S` totals with the kernel's delta (after minus before). */
export function compareConntrackStats(
  kernelBefore: Map<string, number>,
  kernelAfter: Map<string, number>,
  ours: Map<string, number>,
  keys: readonly string[] = CT_STAT_KEYS,
): AgreementFailure[] {
  const out: AgreementFailure[] = [];
  for (const k of keys) {
    const kv = (kernelAfter.get(k) ?? 0) - (kernelBefore.get(k) ?? 0);
    const ov = ours.get(k);
    if (ov === undefined) out.push({ check: 'conntrack-stats', where: `conntrack -S ${k}`, message: `missing from ours (kernel ${kv})` });
    else if (ov !== kv) out.push({ check: 'conntrack-stats', where: `conntrack -S ${k}`, message: `kernel ${kv}, ours ${ov} (summed over CPUs)` });
  }
  return out;
}

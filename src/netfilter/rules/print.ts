// RuleSet → iptables-save text (print_rule4/print_rule6 and the chain-line loop of iptables-save): the ip part
// in the order -s -d -i -o -p -f, matches in rule order as `-m name <save text>`, then `-j`/`-g` and the
// target's save text. Sections, comments and blank lines come back in file order; counters come from the
// parsed file or from a caller's source (replay writes `iptables-save -c` output this way).

import type { Chain, Counters, FamilyNumber, IpHeaderMatch, Rule, RuleSet, Table } from './ast.js';
import { Family, TargetType } from './ast.js';
import { formatIpv4Net, formatIpv6Net } from './addr.js';
import { protocolName } from './names.js';

/** Counter values as numbers or bigints. */
export interface CounterPair {
  pkts: number | bigint;
  bytes: number | bigint;
}

/** Where printed counters come from when a caller supplies them (e.g. the engine after a replay). */
export interface CounterSource {
  /** Counters of a rule (by RuleSet-wide id); null to fall back to the parsed ones. */
  rule(rule: Rule): CounterPair | null;
  /** Counters of a builtin chain's policy; null to fall back to the parsed ones. */
  policy(table: Table, chain: Chain): CounterPair | null;
}

/** Options of printRuleSet. */
export interface PrintOptions {
  /**
   * Rule counter prefixes: 'auto' (default) prints `[p:b] ` where the file had one; true prints one on every
   * rule (iptables-save -c); false never; a CounterSource prints every rule with its counters.
   */
  counters?: 'auto' | boolean | CounterSource;
  /** Print comment and blank lines (default true). */
  comments?: boolean;
}

/** Text of the ip_packet_match part (leading space per item, as the save functions write). */
export function ipPartText(ip: IpHeaderMatch, family: FamilyNumber): string {
  let s = '';
  if (family === Family.IPV6) {
    // `::/0` matches everything and is not printed unless negated
    if (ip.src6 !== null && (ip.src6.len !== 0 || ip.invSrc)) s += `${ip.invSrc ? ' !' : ''} -s ${formatIpv6Net(ip.src6)}`;
    if (ip.dst6 !== null && (ip.dst6.len !== 0 || ip.invDst)) s += `${ip.invDst ? ' !' : ''} -d ${formatIpv6Net(ip.dst6)}`;
  } else {
    if (ip.srcMask !== 0 || ip.src !== 0 || ip.invSrc) s += `${ip.invSrc ? ' !' : ''} -s ${formatIpv4Net(ip.src, ip.srcMask)}`;
    if (ip.dstMask !== 0 || ip.dst !== 0 || ip.invDst) s += `${ip.invDst ? ' !' : ''} -d ${formatIpv4Net(ip.dst, ip.dstMask)}`;
  }
  if (ip.inIface !== '' || ip.inWildcard || ip.invIn) s += `${ip.invIn ? ' !' : ''} -i ${ip.inIface}${ip.inWildcard ? '+' : ''}`;
  if (ip.outIface !== '' || ip.outWildcard || ip.invOut) s += `${ip.invOut ? ' !' : ''} -o ${ip.outIface}${ip.outWildcard ? '+' : ''}`;
  if (ip.proto !== 0) s += `${ip.invProto ? ' !' : ''} -p ${protocolName(ip.proto)}`;
  if (ip.fragment) s += `${ip.invFragment ? ' !' : ''} -f`;
  return s;
}

/** Everything after `-A CHAIN` (with a leading space when non-empty). */
export function ruleBodyText(r: Rule, family: FamilyNumber): string {
  let s = ipPartText(r.ip, family);
  const pctx = { family };
  for (const m of r.matches) {
    const t = m.module.print(m.data, pctx);
    s += ` -m ${m.name}${t === '' ? '' : ' ' + t}`;
  }
  const tg = r.target;
  switch (tg.type) {
    case TargetType.VERDICT:
      s += ` -j ${tg.name}`;
      break;
    case TargetType.JUMP:
      s += ` -j ${tg.chain}`;
      break;
    case TargetType.GOTO:
      s += ` -g ${tg.chain}`;
      break;
    case TargetType.EXTENSION: {
      const t = tg.module.print(tg.data, pctx);
      s += ` -j ${tg.name}${t === '' ? '' : ' ' + t}`;
      break;
    }
    case TargetType.NONE:
      break;
  }
  return s;
}

/** `-A CHAIN ...` of one rule, without counters. */
export function ruleText(r: Rule, family: FamilyNumber): string {
  return `-A ${r.chain}${ruleBodyText(r, family)}`;
}

function pair(c: CounterPair | Counters | null): string {
  return c === null ? '[0:0]' : `[${c.pkts}:${c.bytes}]`;
}

/** Chain line `:NAME POLICY [p:b]`. */
export function chainLine(t: Table, c: Chain, source: CounterSource | null): string {
  if (!c.builtin) return `:${c.name} - [0:0]`;
  const ctr = (source !== null ? source.policy(t, c) : null) ?? c.counters;
  return `:${c.name} ${c.policy ?? 'ACCEPT'} ${pair(ctr)}`;
}

/** Print a whole rule set; the text ends with a line break when non-empty. */
export function printRuleSet(rs: RuleSet, opts: PrintOptions = {}): string {
  const out: string[] = [];
  const mode = opts.counters ?? 'auto';
  const source: CounterSource | null = typeof mode === 'object' ? mode : null;
  const comments = opts.comments ?? true;
  for (const top of rs.items) {
    if (top.kind !== 'table') {
      if (comments) out.push(top.text);
      continue;
    }
    const t = top.table;
    out.push(`*${t.name}`);
    for (const it of t.items) {
      switch (it.kind) {
        case 'comment':
        case 'blank':
          if (comments) out.push(it.text);
          break;
        case 'chain':
          out.push(chainLine(t, it.chain, source));
          break;
        case 'rule': {
          const r = it.rule;
          let prefix = '';
          if (source !== null) prefix = pair(source.rule(r) ?? r.counters) + ' ';
          else if (mode === true || (mode === 'auto' && r.countersPrefix)) prefix = pair(r.counters) + ' ';
          out.push(prefix + ruleText(r, rs.family));
          break;
        }
      }
    }
    if (t.commitLine !== 0) out.push('COMMIT');
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

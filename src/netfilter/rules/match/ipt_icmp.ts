// `-m icmp --icmp-type` (IPv4): type names by case-insensitive prefix from libxt_icmp.h, `type[/code[:code]]`
// numbers, `any`; printed numerically with only the first code (libipt_icmp.c icmp_save). Evaluation as
// net/netfilter/xt_tcpudp.c icmp_match: first fragments only, unreadable header hot-dropped.

import type { MatchModule } from '../module.js';
import { badValue, missing, noState } from '../mod-util.js';
import { ICMP_NAMES } from '../names.js';
import { scanUint } from '../values.js';
import { IpProto } from '../../../decode/meta.js';

/** struct ipt_icmp. type 0xff = any. */
export interface IcmpData {
  type: number;
  codeMin: number;
  codeMax: number;
  invert: boolean;
  given: boolean;
}

function parseRange(s: string, start: number): { lo: number; hi: number; end: number } | null {
  const a = scanUint(s, start);
  if (Number.isNaN(a.value) || a.value > 255) return null;
  if (s[a.end] !== ':') return { lo: a.value, hi: a.value, end: a.end };
  const b = scanUint(s, a.end + 1);
  if (Number.isNaN(b.value) || b.value > 255) return null;
  return { lo: a.value, hi: b.value, end: b.end };
}

export const icmpMatch: MatchModule<IcmpData, null> = {
  kind: 'match',
  name: 'icmp',
  family: 4,
  proto: IpProto.ICMP,
  options: [{ name: 'icmp-type', args: 1, invert: true }],
  init: () => ({ type: 0xff, codeMin: 0, codeMax: 0xff, invert: false, given: false }),
  parse(d, o, ctx) {
    d.given = true;
    d.invert = o.invert;
    const arg = o.value;
    let hit = -1;
    for (let i = 0; i < ICMP_NAMES.length; i++) {
      if (arg !== '' && ICMP_NAMES[i]!.name.toLowerCase().startsWith(arg.toLowerCase())) {
        if (hit >= 0) badValue(ctx, `Ambiguous ICMP type \`${arg}': \`${ICMP_NAMES[hit]!.name}' or \`${ICMP_NAMES[i]!.name}'?`);
        hit = i;
      }
    }
    if (hit >= 0) {
      const n = ICMP_NAMES[hit]!;
      d.type = n.type;
      d.codeMin = n.codeMin;
      d.codeMax = n.codeMax;
      return;
    }
    const t = parseRange(arg, 0);
    if (t === null || t.lo !== t.hi) badValue(ctx, `Unknown ICMP type \`${arg}'`);
    d.type = t.lo;
    if (t.end === arg.length) {
      d.codeMin = 0;
      d.codeMax = 0xff;
      return;
    }
    if (arg[t.end] !== '/') badValue(ctx, `Unknown ICMP type \`${arg}'`);
    const c = parseRange(arg, t.end + 1);
    if (c === null || c.end !== arg.length) badValue(ctx, `Unknown ICMP code in \`${arg}'`);
    d.codeMin = c.lo;
    d.codeMax = c.hi;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--icmp-type" must be specified');
  },
  print(d) {
    const inv = d.invert ? '! ' : '';
    if (d.type === 0xff && d.codeMin === 0 && d.codeMax === 0xff) return `${inv}--icmp-type any`;
    const code = d.codeMin !== 0 || d.codeMax !== 0xff ? `/${d.codeMin}` : '';
    return `${inv}--icmp-type ${d.type}${code}`;
  },
  createState: noState,
  // HOT: icmp_match / icmp_type_code_match
  match(d, skb, env) {
    const m = skb.meta;
    if (m.fragOffset !== 0) return false;
    if (m.l4Off < 0 || m.l4Len < 8) {
      env.hotdrop = 1;
      return false;
    }
    const hit = d.type === 0xff || (m.icmpType === d.type && m.icmpCode >= d.codeMin && m.icmpCode <= d.codeMax);
    return hit !== d.invert;
  },
};

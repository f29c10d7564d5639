// `-m icmp6 --icmpv6-type` for ip6tables rule sets (libip6t_icmp6.c): parsed and printed for round trips;
// evaluation is IPv4-only, so on a packet it never matches (the datapath refuses IPv6 rule sets).

import type { MatchModule } from '../module.js';
import { badValue, missing, noState } from '../mod-util.js';
import { ICMPV6_NAMES } from '../names.js';
import { scanUint } from '../values.js';
import { IpProto } from '../../../decode/meta.js';
import type { IcmpData } from './ipt_icmp.js';

export const icmp6Match: MatchModule<IcmpData, null> = {
  kind: 'match',
  name: 'icmp6',
  family: 6,
  proto: IpProto.ICMPV6,
  options: [{ name: 'icmpv6-type', args: 1, invert: true }],
  init: () => ({ type: 0, codeMin: 0, codeMax: 0xff, invert: false, given: false }),
  parse(d, o, ctx) {
    d.given = true;
    d.invert = o.invert;
    const arg = o.value;
    const hits = arg === '' ? [] : ICMPV6_NAMES.filter((n) => n.name.toLowerCase().startsWith(arg.toLowerCase()));
    const exact = hits.find((n) => n.name.toLowerCase() === arg.toLowerCase());
    const n = exact ?? (hits.length === 1 ? hits[0] : undefined);
    if (hits.length > 1 && exact === undefined) badValue(ctx, `Ambiguous ICMPv6 type \`${arg}'`);
    if (n !== undefined) {
      d.type = n.type;
      d.codeMin = n.codeMin;
      d.codeMax = n.codeMax;
      return;
    }
    const t = scanUint(arg, 0);
    if (Number.isNaN(t.value) || t.value > 255) badValue(ctx, `Invalid ICMPv6 type \`${arg}'`);
    d.type = t.value;
    if (t.end === arg.length) return;
    if (arg[t.end] !== '/') badValue(ctx, `Invalid ICMPv6 type \`${arg}'`);
    const c = scanUint(arg, t.end + 1);
    if (Number.isNaN(c.value) || c.value > 255 || c.end !== arg.length) badValue(ctx, `Invalid ICMPv6 code \`${arg}'`);
    d.codeMin = d.codeMax = c.value;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--icmpv6-type" must be specified');
  },
  print(d) {
    const code = d.codeMin !== 0 || d.codeMax !== 0xff ? `/${d.codeMin}` : '';
    return `${d.invert ? '! ' : ''}--icmpv6-type ${d.type}${code}`;
  },
  createState: noState,
  // HOT: IPv6 packets are not evaluated by this engine
  match: () => false,
};

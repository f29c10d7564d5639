// `-m set --match-set NAME src|dst[,src|dst...]` (libxt_set.c revision 4 save form; net/netfilter/xt_set.c
// set_match_v4). ipset contents live outside iptables, so a rule that names a set is refused unless the set
// was supplied (`--ipsets FILE` with `ipset save` output); membership is then tested on the load's live copy
// of it, which the SET target changes.

import type { LoadContext, MatchModule } from '../module.js';
import type { IpSet } from '../ipset.js';
import { liveIpsets } from '../ipset.js';
import { IssueCode } from '../issues.js';
import { RuleError } from '../../../util/errors.js';
import { badValue, missing } from '../mod-util.js';

/** IPSET_DIM_MAX. */
export const SET_DIM_MAX = 6;

export interface SetMatchData {
  name: string;
  /** Bit i set: dimension i reads the source side. */
  srcFlags: number;
  dims: number;
  invert: boolean;
  returnNomatch: boolean;
  skipCounters: boolean;
  skipSubcounters: boolean;
  given: boolean;
}

export class SetMatchState {
  constructor(readonly set: IpSet) {}
}

export const setMatch: MatchModule<SetMatchData, SetMatchState> = {
  kind: 'match',
  name: 'set',
  family: 0,
  options: [
    { name: 'match-set', args: 2, invert: true },
    { name: 'return-nomatch', args: 0 },
    { name: 'update-counters', args: 0, invert: true },
    { name: 'update-subcounters', args: 0, invert: true },
  ],
  init: () => ({ name: '', srcFlags: 0, dims: 0, invert: false, returnNomatch: false, skipCounters: false, skipSubcounters: false, given: false }),
  parse(d, o, ctx) {
    switch (o.id) {
      case 0: {
        if (d.given) badValue(ctx, '--match-set can be specified only once');
        d.given = true;
        d.invert = o.invert;
        d.name = o.value;
        const dirs = o.value2.split(',');
        if (dirs.length > SET_DIM_MAX) badValue(ctx, `too many binding directions in \`${o.value2}'`);
        dirs.forEach((dir, i) => {
          if (dir === 'src') d.srcFlags |= 1 << i;
          else if (dir !== 'dst') badValue(ctx, `You must specify (the comma separated list of) 'src' or 'dst', not \`${dir}'`);
        });
        d.dims = dirs.length;
        const set = ctx.ipsets?.get(d.name);
        if (set === undefined) {
          return ctx.fail(
            IssueCode.IPSET_UNKNOWN,
            `ipset \`${d.name}' is not known: its contents live outside iptables; supply them with --ipsets FILE (the output of \`ipset save\`)`,
          );
        }
        if (d.dims > set.dimensions) badValue(ctx, `set \`${d.name}' (${set.type}) has ${set.dimensions} dimension(s), the rule names ${d.dims}`);
        break;
      }
      case 1:
        d.returnNomatch = true;
        break;
      case 2:
        if (!o.invert) badValue(ctx, '--update-counters is the default; only "! --update-counters" can be given');
        d.skipCounters = true;
        break;
      case 3:
        if (!o.invert) badValue(ctx, '--update-subcounters is the default; only "! --update-subcounters" can be given');
        d.skipSubcounters = true;
        break;
    }
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'You must specify `--match-set\' with proper arguments');
  },
  print(d) {
    const dirs: string[] = [];
    for (let i = 0; i < d.dims; i++) dirs.push((d.srcFlags & (1 << i)) !== 0 ? 'src' : 'dst');
    let s = `${d.invert ? '! ' : ''}--match-set ${d.name} ${dirs.join(',')}`;
    if (d.returnNomatch) s += ' --return-nomatch';
    if (d.skipCounters) s += ' ! --update-counters';
    if (d.skipSubcounters) s += ' ! --update-subcounters';
    return s;
  },
  createState(d: SetMatchData, ctx: LoadContext) {
    const set = liveIpsets(ctx)?.get(d.name);
    // the parser already required the set; a load without the same catalog is the caller's mistake
    if (set === undefined) throw new RuleError(IssueCode.IPSET_UNKNOWN, `ipset \`${d.name}' was not supplied to the rule-set load (LoadContext.ipsets)`);
    return new SetMatchState(set);
  },
  // HOT
  match: (d, skb, _env, st) => st.set.test(skb, d.srcFlags, d.returnNomatch) !== d.invert,
};

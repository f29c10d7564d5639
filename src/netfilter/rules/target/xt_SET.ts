// SET: `--add-set NAME FLAGS [--exist] [--timeout N]`, `--del-set NAME FLAGS` (libxt_SET.c revision 3: parse,
// final check, save order; net/netfilter/xt_set.c set_target_v3). A pure target: the rules layer adds the
// packet to / deletes it from the load's live ipsets (ipset.ts), which later `-m set` tests see. `--map-set`
// is refused: it copies the skbinfo extension of set elements, which the sets read here do not keep.

import type { LoadContext, OptionSpec, ParseContext, TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import type { IpSet } from '../ipset.js';
import { IPSET_MAX_TIMEOUT, IPSET_NO_TIMEOUT, liveIpsets } from '../ipset.js';
import type { SetTargetData } from '../target-data.js';
import { TargetKind } from '../target-data.js';
import { IssueCode } from '../issues.js';
import { RuleError } from '../../../util/errors.js';
import { badValue, conflict, missing } from '../mod-util.js';
import { parseUint } from '../values.js';
import { Verdict } from '../../skb.js';
import { SET_DIM_MAX } from '../match/xt_set.js';

/** IPSET_MAXNAMELEN - 1. */
const MAX_NAME = 31;

/** SET_TARGET_MAP_MARK / _PRIO / _QUEUE of libxt_SET.c, by option. */
const MAP_FLAGS = ['map-mark', 'map-prio', 'map-queue'] as const;

interface SetTargetParse extends SetTargetData {
  /** Bit i: MAP_FLAGS[i] was given. */
  mapFlags: number;
}

// Revision 3 options. libxt_SET.c parses them the old way: a `!` before one is passed on and ignored, and
// only a second --add-set/--del-set is refused.
const OPTIONS: readonly OptionSpec[] = [
  { name: 'add-set', args: 2, invert: true, multi: true },
  { name: 'del-set', args: 2, invert: true, multi: true },
  { name: 'exist', args: 0, invert: true, multi: true },
  { name: 'timeout', args: 1, invert: true, multi: true },
  { name: 'map-set', args: 2, invert: true, multi: true },
  ...MAP_FLAGS.map((name) => ({ name, args: 0 as const, invert: true, multi: true })),
];

/** parse_target: the set must exist (get_set_byname), then parse_dirs. Returns [flags, dims]. */
function parseSet(ctx: ParseContext, what: string, name: string, dirs: string): [number, number] {
  if (name.length > MAX_NAME) badValue(ctx, `setname \`${name}' too long, max ${MAX_NAME} characters.`);
  if (ctx.ipsets?.get(name) === undefined) {
    return ctx.fail(
      IssueCode.IPSET_UNKNOWN,
      `ipset \`${name}' is not known: its contents live outside iptables; supply them with --ipsets FILE (the output of \`ipset save\`)`,
    );
  }
  // parse_dirs: strsep on ',', each part starting with src or dst (strncmp of 3 characters)
  const parts = dirs.split(',');
  if (parts.length > SET_DIM_MAX) badValue(ctx, `--${what}: Can't be more src/dst options than ${SET_DIM_MAX}.`);
  let flags = 0;
  parts.forEach((p, i) => {
    if (p.startsWith('src')) flags |= 1 << i;
    else if (!p.startsWith('dst')) badValue(ctx, "You must specify (the comma separated list of) 'src' or 'dst'.");
  });
  return [flags, parts.length];
}

function dirsText(flags: number, dims: number): string {
  const out: string[] = [];
  for (let i = 0; i < dims; i++) out.push((flags & (1 << i)) !== 0 ? 'src' : 'dst');
  return out.join(',');
}

/** The sets a SET rule works on in its load, and the add's timeout cut to IPSET_MAX_TIMEOUT. */
export class SetTargetState {
  constructor(
    readonly add: IpSet | null,
    readonly del: IpSet | null,
    readonly timeout: number,
  ) {}
}

function liveSet(ctx: LoadContext, name: string): IpSet | null {
  if (name === '') return null;
  const s = liveIpsets(ctx)?.get(name);
  // the parser already required the set; a load without the same catalog is the caller's mistake
  if (s === undefined) throw new RuleError(IssueCode.IPSET_UNKNOWN, `ipset \`${name}' was not supplied to the rule-set load (LoadContext.ipsets)`);
  return s;
}

export const setTarget: TargetModule<SetTargetParse, SetTargetState> = {
  kind: 'target',
  name: 'SET',
  family: 0,
  effect: TargetEffect.PURE,
  options: OPTIONS,
  init: () => ({ kind: TargetKind.SET, addName: '', addFlags: 0, addDims: 0, delName: '', delFlags: 0, delDims: 0, exist: false, timeout: -1, mapFlags: 0 }),
  parse(d, o, ctx) {
    switch (o.id) {
      case 0:
      case 1: {
        const what = o.name;
        if ((o.id === 0 ? d.addDims : d.delDims) > 0) ctx.fail(IssueCode.OPTION_REPEATED, `--${what} can be specified only once`);
        const [flags, dims] = parseSet(ctx, what, o.value, o.value2);
        if (o.id === 0) [d.addName, d.addFlags, d.addDims] = [o.value, flags, dims];
        else [d.delName, d.delFlags, d.delDims] = [o.value, flags, dims];
        break;
      }
      case 2:
        d.exist = true;
        break;
      case 3: {
        const v = parseUint(o.value, 0, 0xfffffffe);
        if (v < 0) badValue(ctx, 'Invalid value for option --timeout or out of range 0-4294967294');
        d.timeout = v;
        break;
      }
      case 4:
        return ctx.fail(
          IssueCode.UNSUPPORTED_TARGET,
          'SET --map-set is not modelled: it copies the skbinfo extension of set elements (skbmark, skbprio, skbqueue), which the ipsets read from `ipset save` do not keep',
        );
      default:
        d.mapFlags |= 1 << (o.id - 5);
    }
  },
  finish(d, ctx) {
    // set_target_check_v3 (no --map-set can have been given: it is refused while parsing)
    if (d.addDims === 0 && d.delDims === 0) missing(ctx, "You must specify either `--add-set' or `--del-set' or `--map-set'");
    if (d.addDims === 0) {
      if (d.exist) conflict(ctx, "Flag `--exist' can be used with `--add-set' only");
      if (d.timeout >= 0) conflict(ctx, "Option `--timeout' can be used with `--add-set' only");
    }
    MAP_FLAGS.forEach((name, i) => {
      if ((d.mapFlags & (1 << i)) !== 0) conflict(ctx, `Flag \`--${name}' can be used with \`--map-set' only`);
    });
  },
  print(d) {
    // set_target_save_v3
    const s: string[] = [];
    if (d.addDims > 0) s.push(`--add-set ${d.addName} ${dirsText(d.addFlags, d.addDims)}`);
    if (d.exist) s.push('--exist');
    if (d.timeout >= 0) s.push(`--timeout ${d.timeout}`);
    if (d.delDims > 0) s.push(`--del-set ${d.delName} ${dirsText(d.delFlags, d.delDims)}`);
    return s.join(' ');
  },
  createState(d, ctx) {
    const timeout = d.timeout < 0 ? IPSET_NO_TIMEOUT : Math.min(d.timeout, IPSET_MAX_TIMEOUT);
    return new SetTargetState(liveSet(ctx, d.addName), liveSet(ctx, d.delName), timeout);
  },
  // HOT: set_target_v3 — add, then delete; the walk always continues
  target(d, skb, _env, st) {
    if (st.add !== null) st.add.kadd(skb, d.addFlags, d.addDims, st.timeout, d.exist);
    if (st.del !== null) st.del.kdel(skb, d.delFlags, d.delDims);
    return Verdict.CONTINUE;
  },
};

// `-m devgroup [!] --src-group G[/M] [!] --dst-group G[/M]` (libxt_devgroup.c devgroup_parse/devgroup_save
// with xtables_parse_val_mask; net/netfilter/xt_devgroup.c devgroup_mt, devgroup_mt_checkentry): the device
// group (`ip link set DEV group N`) of the input or output device, masked, compared, optionally negated. The
// groups come from the host snapshot (RuleHost.deviceGroup).

import type { MatchEnv, MatchModule, ParseContext } from '../module.js';
import { HookBit } from '../module.js';
import { IssueCode } from '../issues.js';
import { badValue, missing, noState } from '../mod-util.js';
import { scanUint } from '../values.js';
import type { Skb } from '../../skb.js';

/** XT_DEVGROUP_* flag bits of struct xt_devgroup_info. */
export const DevgroupFlag = { MATCH_SRC: 0x1, INVERT_SRC: 0x2, MATCH_DST: 0x4, INVERT_DST: 0x8 } as const;

/** struct xt_devgroup_info. */
export interface DevgroupData {
  flags: number;
  srcGroup: number;
  srcMask: number;
  dstGroup: number;
  dstMask: number;
}

/**
 * The names libxt_devgroup reads from /etc/iproute2/group (xtables_lmap_init): the file iproute2 installs
 * there maps only group 0, as "default". Names are accepted where a number fails and printed for full masks.
 */
export const DEVGROUP_NAMES: ReadonlyMap<number, string> = new Map([[0, 'default']]);

const OPT_NAMES = ['src-group', 'dst-group'];

/** xtables_parse_val_mask with the group name map: [group, mask] or a failure of the option. */
export function parseGroup(ctx: ParseContext, arg: string, option: string): [number, number] {
  const byName = (): [number, number] => {
    for (const [id, name] of DEVGROUP_NAMES) if (name === arg) return [id, 0xffffffff];
    return badValue(ctx, `could not map name ${arg} to an integer value for option "--${option}".`);
  };
  const v = scanUint(arg, 0, 0);
  if (Number.isNaN(v.value) || v.value > 0xffffffff) return byName();
  if (v.end === arg.length) return [v.value, 0xffffffff];
  if (arg[v.end] !== '/') return byName();
  const m = scanUint(arg, v.end + 1, 0);
  if (Number.isNaN(m.value) || m.value > 0xffffffff) badValue(ctx, `bad integer value for option "--${option}", or out of range.`);
  if (m.end !== arg.length) badValue(ctx, `trailing garbage after value for option "--${option}".`);
  return [v.value, m.value];
}

/** print_devgroup as devgroup_save calls it (numeric 0): `0x%x/0x%x`, else the name, else `0x%x`. */
function groupText(group: number, mask: number): string {
  if (mask !== 0xffffffff) return `0x${group.toString(16)}/0x${mask.toString(16)}`;
  return DEVGROUP_NAMES.get(group) ?? `0x${group.toString(16)}`;
}

/** HOT: does device `dev`'s group differ from `group` under `mask`? (`(group ^ dev->group) & mask`). */
function differs(env: MatchEnv, dev: number, group: number, mask: number): boolean {
  return ((group ^ env.host.deviceGroup(dev)) & mask) !== 0;
}

/** HOT: devgroup_mt. */
function devgroupMatch(d: DevgroupData, skb: Skb, env: MatchEnv): boolean {
  const f = d.flags;
  if ((f & DevgroupFlag.MATCH_SRC) !== 0 && differs(env, skb.inIf, d.srcGroup, d.srcMask) !== ((f & DevgroupFlag.INVERT_SRC) !== 0)) return false;
  if ((f & DevgroupFlag.MATCH_DST) !== 0 && differs(env, skb.outIf, d.dstGroup, d.dstMask) !== ((f & DevgroupFlag.INVERT_DST) !== 0)) return false;
  return true;
}

export const devgroupMatchModule: MatchModule<DevgroupData, null> = {
  kind: 'match',
  name: 'devgroup',
  family: 0,
  options: OPT_NAMES.map((name) => ({ name, args: 1 as const, invert: true })),
  init: () => ({ flags: 0, srcGroup: 0, srcMask: 0, dstGroup: 0, dstMask: 0 }),
  parse(d, o, ctx) {
    const [group, mask] = parseGroup(ctx, o.value, OPT_NAMES[o.id]!);
    if (o.id === 0) {
      d.srcGroup = group;
      d.srcMask = mask;
      d.flags |= DevgroupFlag.MATCH_SRC | (o.invert ? DevgroupFlag.INVERT_SRC : 0);
    } else {
      d.dstGroup = group;
      d.dstMask = mask;
      d.flags |= DevgroupFlag.MATCH_DST | (o.invert ? DevgroupFlag.INVERT_DST : 0);
    }
  },
  finish(d, ctx) {
    if (d.flags === 0) missing(ctx, "You must specify either '--src-group' or '--dst-group'");
  },
  check(d, ctx) {
    // devgroup_mt_checkentry: the input device exists only in PREROUTING, INPUT and FORWARD, the output
    // device only in FORWARD, OUTPUT and POSTROUTING
    const inHooks = HookBit.PRE_ROUTING | HookBit.LOCAL_IN | HookBit.FORWARD;
    const outHooks = HookBit.FORWARD | HookBit.LOCAL_OUT | HookBit.POST_ROUTING;
    if ((d.flags & DevgroupFlag.MATCH_SRC) !== 0 && (ctx.hookMask & ~inHooks) !== 0) {
      ctx.error(IssueCode.WRONG_HOOK, 'devgroup match: --src-group is valid only from PREROUTING/INPUT/FORWARD');
    } else if ((d.flags & DevgroupFlag.MATCH_DST) !== 0 && (ctx.hookMask & ~outHooks) !== 0) {
      ctx.error(IssueCode.WRONG_HOOK, 'devgroup match: --dst-group is valid only from FORWARD/OUTPUT/POSTROUTING');
    }
  },
  print(d) {
    const parts: string[] = [];
    if ((d.flags & DevgroupFlag.MATCH_SRC) !== 0) parts.push(`${(d.flags & DevgroupFlag.INVERT_SRC) !== 0 ? '! ' : ''}--src-group ${groupText(d.srcGroup, d.srcMask)}`);
    if ((d.flags & DevgroupFlag.MATCH_DST) !== 0) parts.push(`${(d.flags & DevgroupFlag.INVERT_DST) !== 0 ? '! ' : ''}--dst-group ${groupText(d.dstGroup, d.dstMask)}`);
    return parts.join(' ');
  },
  createState: noState,
  // HOT
  match: (d, skb, env) => devgroupMatch(d, skb, env),
};

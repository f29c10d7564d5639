// `-m physdev`: bridge ports of br_netfilter traffic (libxt_physdev.c; net/netfilter/xt_physdev.c
// physdev_mt and physdev_mt_check). Port names compare like `-i` (trailing `+` = prefix); the per-interface
// answers are cached in the rule's state by interned id, so evaluation does no string work after the first.

import type { LoadContext, MatchEnv, MatchModule } from '../module.js';
import { HookBit } from '../module.js';
import { IssueCode } from '../issues.js';
import { badValue, missing } from '../mod-util.js';
import type { Skb } from '../../skb.js';
import { NONE } from '../../skb.js';

/** XT_PHYSDEV_OP_* bits. */
export const PhysdevOp = { IN: 0x01, OUT: 0x02, BRIDGED: 0x04, ISIN: 0x08, ISOUT: 0x10 } as const;

export interface PhysdevData {
  bitmask: number;
  invert: number;
  /** Names without the `+`, and whether a `+` ended them. */
  inName: string;
  inWild: boolean;
  outName: string;
  outWild: boolean;
}

/** Per-rule cache: interface id → 1 (name matches) / 2 (does not); 0 = not looked up yet. */
export class PhysdevState {
  inCache: Uint8Array;
  outCache: Uint8Array;
  constructor() {
    this.inCache = new Uint8Array(64);
    this.outCache = new Uint8Array(64);
  }
}

const OPTS = ['physdev-in', 'physdev-out', 'physdev-is-in', 'physdev-is-out', 'physdev-is-bridged'] as const;
const BIT = [PhysdevOp.IN, PhysdevOp.OUT, PhysdevOp.ISIN, PhysdevOp.ISOUT, PhysdevOp.BRIDGED];

function nameHit(id: number, name: string, wild: boolean, cacheIn: boolean, st: PhysdevState, env: MatchEnv): boolean {
  let cache = cacheIn ? st.inCache : st.outCache;
  if (id >= cache.length) {
    // grows once per new interface id (bounded by the number of interfaces), not per packet
    const bigger = new Uint8Array(Math.max(id + 1, cache.length * 2));
    bigger.set(cache);
    if (cacheIn) st.inCache = bigger;
    else st.outCache = bigger;
    cache = bigger;
  }
  let c = cache[id]!;
  if (c === 0) {
    const n = env.ifName(id);
    c = (wild ? n.startsWith(name) : n === name) ? 1 : 2;
    cache[id] = c;
  }
  return c === 1;
}

/** HOT: physdev_mt. */
function physdevMatch(d: PhysdevData, skb: Skb, env: MatchEnv, st: PhysdevState): boolean {
  const bm = d.bitmask;
  const inv = d.invert;
  if (skb.bridged === 0) {
    // not bridged: match only if every used option is inverted
    return (bm & ~inv) === 0;
  }
  const hasOut = skb.physOut !== NONE;
  const hasIn = skb.physIn !== NONE;
  if ((bm & PhysdevOp.BRIDGED) !== 0 && hasOut === ((inv & PhysdevOp.BRIDGED) !== 0)) return false;
  if ((bm & PhysdevOp.ISIN) !== 0 && hasIn === ((inv & PhysdevOp.ISIN) !== 0)) return false;
  if ((bm & PhysdevOp.ISOUT) !== 0 && hasOut === ((inv & PhysdevOp.ISOUT) !== 0)) return false;
  if ((bm & PhysdevOp.IN) !== 0 && hasIn) {
    if (nameHit(skb.physIn, d.inName, d.inWild, true, st, env) === ((inv & PhysdevOp.IN) !== 0)) return false;
  }
  if ((bm & PhysdevOp.OUT) === 0 || !hasOut) return true;
  return nameHit(skb.physOut, d.outName, d.outWild, false, st, env) !== ((inv & PhysdevOp.OUT) !== 0);
}

export const physdevMatchModule: MatchModule<PhysdevData, PhysdevState> = {
  kind: 'match',
  name: 'physdev',
  family: 0,
  options: OPTS.map((name, i) => ({ name, args: i < 2 ? (1 as const) : (0 as const), invert: true })),
  init: () => ({ bitmask: 0, invert: 0, inName: '', inWild: false, outName: '', outWild: false }),
  parse(d, o, ctx) {
    const bit = BIT[o.id]!;
    d.bitmask |= bit;
    if (o.invert) d.invert |= bit;
    if (o.id < 2) {
      if (o.value.length > 15) badValue(ctx, `interface name \`${o.value}' must be shorter than IFNAMSIZ (16)`);
      const wild = o.value.endsWith('+');
      const name = wild ? o.value.slice(0, -1) : o.value;
      if (o.id === 0) {
        d.inName = name;
        d.inWild = wild;
      } else {
        d.outName = name;
        d.outWild = wild;
      }
    }
  },
  finish(d, ctx) {
    if (d.bitmask === 0) missing(ctx, 'PHYSDEV: no physdev option specified');
  },
  check(d, ctx) {
    if ((d.bitmask & (PhysdevOp.OUT | PhysdevOp.ISOUT)) !== 0 && ((d.bitmask & PhysdevOp.BRIDGED) === 0 || (d.invert & PhysdevOp.BRIDGED) !== 0) && (ctx.hookMask & HookBit.LOCAL_OUT) !== 0) {
      ctx.error(IssueCode.WRONG_HOOK, 'physdev match: --physdev-out and --physdev-is-out only supported in the FORWARD and POSTROUTING chains with bridged traffic');
    }
  },
  print(d) {
    const inv = (b: number): string => ((d.invert & b) !== 0 ? ' !' : '');
    let s = '';
    if ((d.bitmask & PhysdevOp.ISIN) !== 0) s += `${inv(PhysdevOp.ISIN)} --physdev-is-in`;
    if ((d.bitmask & PhysdevOp.IN) !== 0) s += `${inv(PhysdevOp.IN)} --physdev-in ${d.inName}${d.inWild ? '+' : ''}`;
    if ((d.bitmask & PhysdevOp.ISOUT) !== 0) s += `${inv(PhysdevOp.ISOUT)} --physdev-is-out`;
    if ((d.bitmask & PhysdevOp.OUT) !== 0) s += `${inv(PhysdevOp.OUT)} --physdev-out ${d.outName}${d.outWild ? '+' : ''}`;
    if ((d.bitmask & PhysdevOp.BRIDGED) !== 0) s += `${inv(PhysdevOp.BRIDGED)} --physdev-is-bridged`;
    return s.slice(1);
  },
  createState: (_d: PhysdevData, _ctx: LoadContext) => new PhysdevState(),
  match: physdevMatch,
};

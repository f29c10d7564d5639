// `-m connbytes --connbytes FROM[:TO] --connbytes-dir original|reply|both --connbytes-mode
// packets|bytes|avgpkt` (libxt_connbytes.c; net/netfilter/xt_connbytes.c connbytes_mt): compares the
// connection's accounting counters, which conntrack has already bumped for the current packet, with a u64
// range. Loading such a rule forces nf_conntrack_acct on (connbytes_mt_check), so replay turns accounting on
// whenever a rule set holds one (usesConnbytes).

import type { MatchModule } from '../module.js';
import type { RuleSet } from '../ast.js';
import { NONE } from '../../skb.js';
import { badValue, missing, noState } from '../mod-util.js';

const U64_MAX = 0xffffffffffffffffn;

/** XT_CONNBYTES_PKTS / _BYTES / _AVGPKT. */
export const ConnbytesWhat = { PKTS: 0, BYTES: 1, AVGPKT: 2 } as const;
/** XT_CONNBYTES_DIR_ORIGINAL / _REPLY / _BOTH. */
export const ConnbytesDir = { ORIGINAL: 0, REPLY: 1, BOTH: 2 } as const;

const WHAT_NAMES = ['packets', 'bytes', 'avgpkt'];
const DIR_NAMES = ['original', 'reply', 'both'];

export interface ConnbytesData {
  /** count.from and count.to as the kernel holds them (swapped by `!`: to < from means inverted). */
  from: bigint;
  to: bigint;
  /** The same as numbers for the per-packet comparison (counters stay far below 2^53). */
  fromN: number;
  toN: number;
  what: number;
  dir: number;
  given: number;
}

const G_RANGE = 1;
const G_DIR = 2;
const G_MODE = 4;

/**
 * strtoumax with base 0 over a whole u64 field (xtables_strtoul_base): decimal, 0x hex or leading-0 octal,
 * no sign; null when not a number or above 2^64 - 1.
 */
function u64(s: string): bigint | null {
  const m = /^\s*\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (m === null) return null;
  const t = m[1]!;
  const v = t.length > 1 && t[0] === '0' && (t[1] === 'x' || t[1] === 'X') ? BigInt(t) : t[0] === '0' ? BigInt('0o' + (t.slice(1) || '0')) : BigInt(t);
  return v > U64_MAX ? null : v;
}

/** xtopt_parse_mint for XTTYPE_UINT64RC: `a`, `a:b`, `:b` (from 0), `a:` and `:` (to 2^64 - 1). */
function u64Range(s: string): [bigint, bigint | null] | null {
  const at = s.indexOf(':');
  if (at < 0) {
    const v = u64(s);
    return v === null ? null : [v, null];
  }
  const a = s.slice(0, at);
  const b = s.slice(at + 1);
  if (b.includes(':')) return null;
  const lo = a === '' ? 0n : u64(a);
  const hi = b === '' ? U64_MAX : u64(b);
  return lo === null || hi === null ? null : [lo, hi];
}

function toNumber(v: bigint): number {
  return v >= BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** The counter connbytes_mt compares: packets, bytes or the average packet size in the chosen direction(s). */
function counterOf(d: ConnbytesData, pkts0: number, pkts1: number, bytes0: number, bytes1: number): number {
  const pkts = d.dir === ConnbytesDir.ORIGINAL ? pkts0 : d.dir === ConnbytesDir.REPLY ? pkts1 : pkts0 + pkts1;
  if (d.what === ConnbytesWhat.PKTS) return pkts;
  const bytes = d.dir === ConnbytesDir.ORIGINAL ? bytes0 : d.dir === ConnbytesDir.REPLY ? bytes1 : bytes0 + bytes1;
  if (d.what === ConnbytesWhat.BYTES) return bytes;
  // div64_u64; no packets leaves `what` at 0
  return pkts === 0 ? 0 : Math.floor(bytes / pkts);
}

export const connbytesMatch: MatchModule<ConnbytesData, null> = {
  kind: 'match',
  name: 'connbytes',
  family: 0,
  options: [
    { name: 'connbytes', args: 1, invert: true },
    { name: 'connbytes-dir', args: 1 },
    { name: 'connbytes-mode', args: 1 },
  ],
  init: () => ({ from: 0n, to: U64_MAX, fromN: 0, toN: Number.MAX_SAFE_INTEGER, what: 0, dir: 0, given: 0 }),
  parse(d, o, ctx) {
    if (o.name === 'connbytes') {
      const r = u64Range(o.value);
      if (r === null) badValue(ctx, `bad value for option "--connbytes" near "${o.value}"`);
      let [from, to] = [r[0], r[1] ?? U64_MAX];
      if (to < from) badValue(ctx, `${from} should be less than ${to}`);
      if (o.invert) [from, to] = [to, from];
      d.from = from;
      d.to = to;
      d.fromN = toNumber(from);
      d.toN = toNumber(to);
      d.given |= G_RANGE;
    } else if (o.name === 'connbytes-dir') {
      const i = DIR_NAMES.indexOf(o.value);
      if (i < 0) badValue(ctx, `Unknown --connbytes-dir \`${o.value}'`);
      d.dir = i;
      d.given |= G_DIR;
    } else {
      const i = WHAT_NAMES.indexOf(o.value);
      if (i < 0) badValue(ctx, `Unknown --connbytes-mode \`${o.value}'`);
      d.what = i;
      d.given |= G_MODE;
    }
  },
  finish(d, ctx) {
    if ((d.given & G_RANGE) === 0) missing(ctx, 'option "--connbytes" must be specified');
    if ((d.given & G_MODE) === 0) missing(ctx, 'option "--connbytes-mode" must be specified');
    if ((d.given & G_DIR) === 0) missing(ctx, 'option "--connbytes-dir" must be specified');
  },
  // connbytes_save: print_range, then the mode, then the direction
  print(d) {
    let range: string;
    if (d.to >= d.from) range = d.to === U64_MAX ? `--connbytes ${d.from}` : `--connbytes ${d.from}:${d.to}`;
    else range = d.from === U64_MAX ? `! --connbytes ${d.to}` : `! --connbytes ${d.to}:${d.from}`;
    return `${range} --connbytes-mode ${WHAT_NAMES[d.what]} --connbytes-dir ${DIR_NAMES[d.dir]}`;
  },
  createState: noState,
  // HOT: connbytes_mt
  match(d, skb, env) {
    const ct = skb.ct;
    if (ct === NONE || skb.untracked !== 0) return false;
    const c = env.conntrack;
    const p0 = c.acct(ct, 0, false);
    if (p0 < 0) return false; // no nf_conn_acct extension
    const what = counterOf(d, p0, c.acct(ct, 1, false), c.acct(ct, 0, true), c.acct(ct, 1, true));
    if (d.toN >= d.fromN) return what <= d.toN && what >= d.fromN;
    return what < d.toN || what > d.fromN;
  },
};

/** Does the rule set hold a `-m connbytes` (which turns nf_conntrack_acct on when it loads)? */
export function usesConnbytes(rs: RuleSet): boolean {
  return rs.rules.some((r) => r.matches.some((m) => m.module.name === 'connbytes'));
}

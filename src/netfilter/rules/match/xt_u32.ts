// `-m u32 [!] --u32 tests` (libxt_u32.c; net/netfilter/xt_u32.c u32_mt and u32_match_it): 32-bit big-endian
// words read from the packet counted from the IP header, masked and shifted, `@` moving the base, compared with
// value ranges; every test must pass. A read outside the packet makes the match false (then `!` inverts).
// The language and its saved form are in u32-parse.ts.

import type { MatchModule } from '../module.js';
import type { Skb } from '../../skb.js';
import { IssueCode } from '../issues.js';
import { badValue, missing, noState } from '../mod-util.js';
import { emptyU32, parseU32, u32Text, U32Op, U32_MAXSIZE, U32_SLOTS } from './u32-parse.js';
import type { U32Data } from './u32-parse.js';

export type { U32Data } from './u32-parse.js';

const AND = U32Op.AND;
const LEFTSH = U32Op.LEFTSH;
const RIGHTSH = U32Op.RIGHTSH;
const AT = U32Op.AT;
const U32_MAX = 0xffffffff;

/** ntohl of the 4 bytes at `o`. HOT. */
function be32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * u32_match_it. `len` is skb->len at the hook: the IP packet from its header (IPv4 total length, IPv6 40 +
 * payload length), cut to the bytes the capture holds, whose contents nfreplay cannot know. Arithmetic is the
 * kernel's u32 arithmetic; a shift count is taken modulo 32 as x86 and arm64 shift instructions do (C leaves
 * counts >= 32 undefined). HOT.
 */
function u32MatchIt(d: U32Data, skb: Skb): boolean {
  const m = skb.meta;
  if (m.l3Off < 0) return false;
  const b = m.data;
  const l3 = m.l3Off;
  const cap = m.frameOff + m.caplen - l3;
  const len = m.ipTotalLen < cap ? m.ipTotalLen : cap;
  for (let t = 0; t < d.ntests; t++) {
    const base = t * U32_SLOTS;
    let at = 0;
    let pos = d.number[base]!;
    if (len < 4 || pos > len - 4) return false;
    let val = be32(b, l3 + pos);
    const nnums = d.nnums[t]!;
    for (let i = 1; i < nnums; i++) {
      const number = d.number[base + i]!;
      switch (d.nextop[base + i]) {
        case AND:
          val = (val & number) >>> 0;
          break;
        case LEFTSH:
          val = (val << number) >>> 0;
          break;
        case RIGHTSH:
          val = val >>> number;
          break;
        case AT:
          // at + val and at + 4 must not wrap around 2^32; the word at at + pos must lie inside the packet
          if (at + val > U32_MAX) return false;
          at += val;
          pos = number;
          if (at + 4 > U32_MAX || len < at + 4 || pos > len - at - 4) return false;
          val = be32(b, l3 + at + pos);
          break;
      }
    }
    // the "," and ":" operands: any range holding the value
    const nvals = d.nvalues[t]!;
    let k = 0;
    while (k < nvals && !(d.min[base + k]! <= val && val <= d.max[base + k]!)) k++;
    if (k >= nvals) return false;
  }
  return true;
}

export const u32Match: MatchModule<U32Data, null> = {
  kind: 'match',
  name: 'u32',
  family: 0,
  options: [{ name: 'u32', args: 1, invert: true }],
  init: emptyU32,
  parse(d, o, ctx) {
    parseU32(d, o.value, (msg) => badValue(ctx, msg));
    d.invert = o.invert;
    d.given = true;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--u32" must be specified');
  },
  // u32_mt_checkentry bounds ntests, nnums and nvalues by XT_U32_MAXSIZE + 1; the parser never exceeds them
  check(d, ctx) {
    let ok = d.ntests <= U32_SLOTS;
    for (let t = 0; ok && t < d.ntests; t++) ok = d.nnums[t]! <= U32_MAXSIZE + 1 && d.nvalues[t]! <= U32_MAXSIZE + 1;
    if (!ok) ctx.error(IssueCode.BAD_VALUE, 'u32 match: too many tests, operators or values');
  },
  print: (d) => `${d.invert ? '! ' : ''}--u32 ${u32Text(d)}`,
  createState: noState,
  // HOT: u32_mt
  match: (d, skb) => u32MatchIt(d, skb) !== d.invert,
};

// `-m mark` and `-m connmark`: `(mark & mask) == value`, on skb->mark or on the conntrack entry's mark (false
// without an entry). libxt_mark.c / libxt_connmark.c (revision 1) for the text, net/netfilter/xt_mark.c
// mark_mt and xt_connmark.c connmark_mt for evaluation.

import type { MatchModule } from '../module.js';
import { badValue, missing, noState } from '../mod-util.js';
import { hex, parseMarkMask } from '../values.js';

/** struct xt_mark_mtinfo1 / xt_connmark_mtinfo1. */
export interface MarkMatchData {
  mark: number;
  mask: number;
  invert: boolean;
  given: boolean;
}

/** `[!] --mark 0xV[/0xM]` with the mask omitted when it is all ones. */
export function markMaskText(v: number, m: number): string {
  return m === 0xffffffff ? hex(v) : `${hex(v)}/${hex(m)}`;
}

function markModule(name: 'mark' | 'connmark'): MatchModule<MarkMatchData, null> {
  return {
    kind: 'match',
    name,
    family: 0,
    options: [{ name: 'mark', args: 1, invert: true }],
    init: () => ({ mark: 0, mask: 0xffffffff, invert: false, given: false }),
    parse(d, o, ctx) {
      const r = parseMarkMask(o.value);
      if (r === null) badValue(ctx, `bad value for option "--mark", or out of range (0-4294967295): \`${o.value}'`);
      d.mark = r[0];
      d.mask = r[1];
      d.invert = o.invert;
      d.given = true;
    },
    finish(d, ctx) {
      if (!d.given) missing(ctx, 'option "--mark" must be specified');
    },
    print: (d) => `${d.invert ? '! ' : ''}--mark ${markMaskText(d.mark, d.mask)}`,
    createState: noState,
    // HOT
    match:
      name === 'mark'
        ? (d, skb) => (((skb.mark & d.mask) >>> 0) === d.mark) !== d.invert
        : (d, skb) => {
            if (skb.ct < 0) return false;
            return (((skb.ctMark & d.mask) >>> 0) === d.mark) !== d.invert;
          },
  };
}

export const markMatch = markModule('mark');
export const connmarkMatch = markModule('connmark');

// CLASSIFY `--set-class MAJOR:MINOR` (libxt_CLASSIFY.c: sscanf "%x:%x", TC_H_MAKE) sets skb->priority for qdisc
// classification (xt_CLASSIFY.c classify_tg). The kernel registers it for LOCAL_OUT, FORWARD and POST_ROUTING
// in any table (6.x has no .table restriction). Nothing nfreplay reports depends on skb->priority (no qdisc
// is modelled, and no match reads it), so the target changes nothing observable and the walk continues.

import type { TargetModule } from '../module.js';
import { HookBit, TargetEffect } from '../module.js';
import type { ClassifyData } from '../target-data.js';
import { TargetKind } from '../target-data.js';
import { badValue, missing, noState } from '../mod-util.js';
import { Verdict } from '../../skb.js';

interface ClassifyParse extends ClassifyData {
  given: boolean;
}

const ULONG_MAX = (1n << 64n) - 1n;

/**
 * One glibc scanf `%x` conversion at `at` into an unsigned int: leading white space, a sign, an optional 0x
 * (its 0 counts as a digit), hex digits; the value as strtoul makes it (negated modulo 2^64, ULONG_MAX on
 * overflow), truncated to 32 bits. Returns [value, index after it], or null when no digit was read.
 */
function scanHexUint(s: string, at: number): [number, number] | null {
  let i = at;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i]!)) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  let digits = '';
  if (s[i] === '0') {
    digits = '0';
    i++;
    if (s[i] === 'x' || s[i] === 'X') i++;
  }
  while (i < s.length && /[0-9a-fA-F]/.test(s[i]!)) digits += s[i++];
  if (digits === '') return null;
  let v = BigInt('0x' + digits);
  if (v > ULONG_MAX) v = ULONG_MAX;
  else if (neg) v = (ULONG_MAX + 1n - v) & ULONG_MAX;
  return [Number(v & 0xffffffffn), i];
}

/** CLASSIFY_string_to_priority: TC_H_MAKE(major << 16, minor), or -1 when sscanf does not convert both. */
export function classPriority(s: string): number {
  const maj = scanHexUint(s, 0);
  if (maj === null || s[maj[1]] !== ':') return -1;
  const min = scanHexUint(s, maj[1] + 1);
  if (min === null) return -1;
  return (((maj[0] << 16) & 0xffff0000) | (min[0] & 0xffff)) >>> 0;
}

const hex4 = (v: number): string => v.toString(16).padStart(4, '0');

export const classifyTarget: TargetModule<ClassifyParse, null> = {
  kind: 'target',
  name: 'CLASSIFY',
  family: 0,
  effect: TargetEffect.PURE,
  hooks: HookBit.LOCAL_OUT | HookBit.FORWARD | HookBit.POST_ROUTING,
  options: [{ name: 'set-class', args: 1 }],
  init: () => ({ kind: TargetKind.CLASSIFY, priority: 0, given: false }),
  parse(d, o, ctx) {
    const p = classPriority(o.value);
    if (p < 0) badValue(ctx, `Bad class value "${o.value}"`);
    d.priority = p;
    d.given = true;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--set-class" must be specified');
  },
  // CLASSIFY_save: " --set-class %.4x:%.4x"
  print: (d) => `--set-class ${hex4(d.priority >>> 16)}:${hex4(d.priority & 0xffff)}`,
  createState: noState,
  // HOT: skb->priority has no reader in the model (see above)
  target: () => Verdict.CONTINUE,
};

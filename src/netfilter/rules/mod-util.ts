// Small helpers the match and target modules share: failing an option with the right issue code, checked
// value parsers that fail instead of returning sentinels, and the no-state factory of stateless modules.

import type { MatchModule, ParseContext } from './module.js';
import { IssueCode } from './issues.js';
import { parsePortRange, parseUint, parseUintRange, rangeText } from './values.js';

/** Reject the current option's value. */
export function badValue(ctx: ParseContext, message: string): never {
  return ctx.fail(IssueCode.BAD_VALUE, message);
}

/** Reject a module whose mandatory option is missing. */
export function missing(ctx: ParseContext, message: string): never {
  return ctx.fail(IssueCode.MISSING_OPTION, message);
}

/** Reject options that exclude each other. */
export function conflict(ctx: ParseContext, message: string): never {
  return ctx.fail(IssueCode.CONFLICT, message);
}

/** Unsigned number in [min, max] or fail with `what`. */
export function uintOr(ctx: ParseContext, s: string, min: number, max: number, what: string): number {
  const v = parseUint(s, min, max);
  if (v < 0) badValue(ctx, `${what} \`${s}' is not a number in ${min}..${max}`);
  return v;
}

/** Port range `a[:b]` with service names, or fail. */
export function portRangeOr(ctx: ParseContext, s: string, proto: string | null): [number, number] {
  const r = parsePortRange(s, proto);
  if (typeof r === 'string') badValue(ctx, r);
  return r;
}

/** Unsigned range `a[:b]` or fail. */
export function uintRangeOr(ctx: ParseContext, s: string, min: number, max: number): [number, number] {
  const r = parseUintRange(s, min, max);
  if (typeof r === 'string') badValue(ctx, r);
  return r;
}

/** createState of modules without per-rule state. */
export function noState(): null {
  return null;
}

/** The data of a match with one mandatory, negatable 16-bit `min[:max]` option (-m length, -m tcpmss). */
export interface U16RangeData {
  min: number;
  max: number;
  invert: boolean;
  given: boolean;
}

/** Options, parsing and printing of such a match, for `--<option> min[:max]`. */
export function u16RangeOption(option: string): Pick<MatchModule<U16RangeData, null>, 'options' | 'init' | 'parse' | 'finish' | 'print'> {
  return {
    options: [{ name: option, args: 1, invert: true }],
    init: () => ({ min: 0, max: 0xffff, invert: false, given: false }),
    parse(d, o, ctx) {
      const [lo, hi] = uintRangeOr(ctx, o.value, 0, 0xffff);
      d.min = lo;
      d.max = hi;
      d.invert = o.invert;
      d.given = true;
    },
    finish(d, ctx) {
      if (!d.given) missing(ctx, `option "--${option}" must be specified`);
    },
    print: (d) => `${d.invert ? '! ' : ''}--${option} ${rangeText(d.min, d.max)}`,
  };
}

// Small helpers the match and target modules share: failing an option with the right issue code, checked
// value parsers that fail instead of returning sentinels, and the no-state factory of stateless modules.

import type { ParseContext } from './module.js';
import { IssueCode } from './issues.js';
import { parsePortRange, parseUint, parseUintRange } from './values.js';

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

// IDLETIMER `--timeout SECONDS --label NAME [--alarm]`, revision 1 as iptables 1.8 picks it on a 6.x kernel
// (libxt_IDLETIMER.c idletimer_tg_parse_v1/save_v1; net/netfilter/xt_IDLETIMER.c idletimer_tg_checkentry_v1,
// idletimer_tg_helper, idletimer_check_sysfs_name). idletimer_tg_target only re-arms a timer whose expiry
// notifies user space through sysfs: no packet effect, so the target is a plain CONTINUE.

import type { CheckContext, TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import { IssueCode } from '../issues.js';
import { missing, noState, uintOr } from '../mod-util.js';
import { Verdict } from '../../skb.js';

/** MAX_IDLETIMER_LABEL_SIZE: the label buffer, NUL included. */
export const IDLETIMER_LABEL_SIZE = 28;

/** XT_IDLETIMER_ALARM: the timer_type of `--alarm` (0 is the plain timer). */
export const IDLETIMER_ALARM = 1;

/** INT_MAX / 1000: timeouts from this up are refused (they would overflow msecs_to_jiffies(timeout * 1000)). */
export const IDLETIMER_TIMEOUT_LIMIT = Math.floor(0x7fffffff / 1000);

/** struct idletimer_tg_info_v1 (send_nl_msg is never set by iptables). */
export interface IdletimerData {
  timeout: number;
  label: string;
  timerType: number;
  given: number;
}

const G_TIMEOUT = 1;
const G_LABEL = 2;

/** xtopt_parse_string into label[28]: longer arguments are cut to 27 bytes, silently. */
function labelOf(arg: string): string {
  const b = Buffer.from(arg, 'utf8');
  return b.length < IDLETIMER_LABEL_SIZE ? arg : b.subarray(0, IDLETIMER_LABEL_SIZE - 1).toString('utf8');
}

/**
 * Why idletimer_check_sysfs_name refuses a label (it becomes a file under /sys/class/xt_idletimer/timers), or
 * null: xt_check_proc_name's empty, ".", ".." and "/" rules, and the names the device directory already has.
 */
export function labelProblem(label: string): string | null {
  if (label === '') return 'is empty';
  if (label === '.' || label === '..' || label.includes('/')) return 'is not a valid file name ("." and ".." are taken, "/" is not allowed)';
  if (label === 'power' || label === 'subsystem' || label === 'uevent') return 'names a file the timers device already has';
  return null;
}

/**
 * Timers of the table being checked by label: the timer_type the first rule gave it. The kernel keeps one
 * timer per label and refuses a rule whose timer_type differs from the existing timer's.
 */
const timersOf = new WeakMap<CheckContext, Map<string, number>>();

export const idletimerTarget: TargetModule<IdletimerData, null> = {
  kind: 'target',
  name: 'IDLETIMER',
  family: 0,
  effect: TargetEffect.PURE,
  options: [
    { name: 'timeout', args: 1 },
    { name: 'label', args: 1 },
    { name: 'alarm', args: 0 },
  ],
  init: () => ({ timeout: 0, label: '', timerType: 0, given: 0 }),
  parse(d, o, ctx) {
    switch (o.id) {
      case 0:
        d.timeout = uintOr(ctx, o.value, 0, 0xffffffff, 'timeout');
        d.given |= G_TIMEOUT;
        break;
      case 1:
        d.label = labelOf(o.value);
        d.given |= G_LABEL;
        break;
      case 2:
        d.timerType = IDLETIMER_ALARM;
        break;
    }
  },
  finish(d, ctx) {
    if ((d.given & G_TIMEOUT) === 0) missing(ctx, 'option "--timeout" must be specified');
    if ((d.given & G_LABEL) === 0) missing(ctx, 'option "--label" must be specified');
  },
  check(d, ctx) {
    // idletimer_tg_helper
    if (d.timeout === 0) return ctx.error(IssueCode.BAD_VALUE, 'IDLETIMER target: timeout value is zero');
    if (d.timeout >= IDLETIMER_TIMEOUT_LIMIT) {
      return ctx.error(IssueCode.BAD_VALUE, `IDLETIMER target: timeout value is too big (${d.timeout}; at most ${IDLETIMER_TIMEOUT_LIMIT - 1})`);
    }
    const bad = labelProblem(d.label);
    if (bad !== null) return ctx.error(IssueCode.BAD_VALUE, `IDLETIMER target: label \`${d.label}' ${bad}`);
    let timers = timersOf.get(ctx);
    if (timers === undefined) {
      timers = new Map();
      timersOf.set(ctx, timers);
    }
    const type = timers.get(d.label);
    if (type === undefined) timers.set(d.label, d.timerType);
    else if (type !== d.timerType) {
      ctx.error(IssueCode.CONFLICT, `IDLETIMER target: label \`${d.label}' is already ${type === IDLETIMER_ALARM ? 'an alarm' : 'a plain'} timer; a rule may not give it another timer type`);
    }
  },
  // idletimer_tg_save_v1: the label printed as is, without quoting
  print: (d) => `--timeout ${d.timeout} --label ${d.label}${d.timerType === IDLETIMER_ALARM ? ' --alarm' : ''}`,
  createState: noState,
  // HOT: idletimer_tg_target re-arms the label's timer (outside the model) and continues
  target: () => Verdict.CONTINUE,
};

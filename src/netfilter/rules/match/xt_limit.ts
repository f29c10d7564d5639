// `-m limit --limit N/unit --limit-burst B`: the per-rule token bucket of net/netfilter/xt_limit.c
// (limit_mt, limit_mt_check, user2credits) in u32 jiffies arithmetic on capture time (jiffies =
// floor(nowNs * HZ / 1e9), the bucket full at load = time 0), and libxt_limit.c's rate parse and print.

import type { LoadContext, MatchModule } from '../module.js';
import { IssueCode } from '../issues.js';
import { badValue, uintOr } from '../mod-util.js';

/** XT_LIMIT_SCALE: avg is seconds * 10000 per packet. */
export const LIMIT_SCALE = 10000;
/** Default `--limit 3/hour` and `--limit-burst 5`. */
export const LIMIT_DEFAULT_AVG = (LIMIT_SCALE * 3600) / 3;
export const LIMIT_DEFAULT_BURST = 5;

/** struct xt_rateinfo (user part). */
export interface LimitData {
  /** Average period between packets, in seconds * XT_LIMIT_SCALE. */
  avg: number;
  burst: number;
}

/** CREDITS_PER_JIFFY for a HZ: the power of two at or below 0xFFFFFFFF / (HZ*60*60*24). */
export function creditsPerJiffy(hz: number): number {
  const maxCpj = Math.floor(0xffffffff / (hz * 60 * 60 * 24));
  let p = 1;
  while (p * 2 <= maxCpj) p *= 2;
  return p;
}

/** user2credits with the kernel's u32 wrap-around. */
export function user2credits(user: number, hz: number): number {
  const cpj = creditsPerJiffy(hz);
  if (user > Math.floor(0xffffffff / (hz * cpj))) return ((Math.floor(user / LIMIT_SCALE) * hz * cpj) % 4294967296) >>> 0;
  return Math.floor((user * hz * cpj) / LIMIT_SCALE) >>> 0;
}

/** Mutable bucket of one rule (xt_limit_priv): credit and the jiffy of the last refill. */
export class LimitState {
  credit: number;
  prev: number;
  readonly cost: number;
  readonly creditCap: number;
  readonly hz: number;
  readonly cpj: number;
  constructor(d: LimitData, hz: number) {
    this.hz = hz;
    this.cpj = creditsPerJiffy(hz);
    this.prev = 0;
    this.credit = user2credits(Math.imul(d.avg, d.burst) >>> 0, hz);
    this.creditCap = this.credit;
    this.cost = user2credits(d.avg, hz);
  }
}

const RATES: ReadonlyArray<readonly [string, number]> = [
  ['day', LIMIT_SCALE * 24 * 60 * 60],
  ['hour', LIMIT_SCALE * 60 * 60],
  ['min', LIMIT_SCALE * 60],
  ['sec', LIMIT_SCALE],
];

/** parse_rate: `N[/second|minute|hour|day]` (unit by case-insensitive prefix); the avg or an error. */
export function parseRate(s: string): number | string {
  const slash = s.indexOf('/');
  let mult = 1;
  if (slash >= 0) {
    const unit = s.slice(slash + 1).toLowerCase();
    if (unit === '') return `bad rate "${s}"`;
    if ('second'.startsWith(unit)) mult = 1;
    else if ('minute'.startsWith(unit)) mult = 60;
    else if ('hour'.startsWith(unit)) mult = 3600;
    else if ('day'.startsWith(unit)) mult = 86400;
    else return `bad rate "${s}"`;
  }
  // atoi: leading digits
  const m = /^\s*[+-]?\d+/.exec(s);
  const r = m === null ? 0 : Number(m[0]);
  if (r <= 0) return `bad rate "${s}"`;
  const avg = Math.floor((LIMIT_SCALE * mult) / r);
  if (avg === 0) return `Rate too fast "${s}"`;
  return avg;
}

/** print_rate: the largest unit that divides evenly enough. */
export function rateText(period: number): string {
  if (period === 0) return 'inf';
  let i = 1;
  for (; i < RATES.length; i++) {
    const mult = RATES[i]![1];
    if (period > mult || Math.floor(mult / period) < mult % period) break;
  }
  const [name, mult] = RATES[i - 1]!;
  return `${Math.floor(mult / period)}/${name}`;
}

export const limitMatch: MatchModule<LimitData, LimitState> = {
  kind: 'match',
  name: 'limit',
  family: 0,
  options: [
    { name: 'limit', args: 1 },
    { name: 'limit-burst', args: 1 },
  ],
  init: () => ({ avg: LIMIT_DEFAULT_AVG, burst: LIMIT_DEFAULT_BURST }),
  parse(d, o, ctx) {
    if (o.id === 0) {
      const r = parseRate(o.value);
      if (typeof r === 'string') badValue(ctx, r);
      d.avg = r;
    } else {
      d.burst = uintOr(ctx, o.value, 0, 10000, 'burst');
    }
  },
  finish() {},
  check(d, ctx) {
    // limit_mt_check with HZ 250 (Debian/Ubuntu kernels)
    if (d.burst === 0 || user2credits(Math.imul(d.avg, d.burst) >>> 0, 250) < user2credits(d.avg, 250)) {
      ctx.error(IssueCode.BAD_VALUE, `limit match: Overflow, try lower: ${d.avg}/${d.burst}`);
    }
  },
  print: (d) => `--limit ${rateText(d.avg)}${d.burst !== LIMIT_DEFAULT_BURST ? ` --limit-burst ${d.burst}` : ''}`,
  createState: (d: LimitData, ctx: LoadContext) => new LimitState(d, ctx.hz),
  // HOT: limit_mt
  match(_d, skb, _env, st) {
    const now = Math.floor((skb.nowNs * st.hz) / 1e9);
    if (st.credit < st.cost && st.prev === now) return false;
    const increase = ((now - st.prev) * st.cpj) % 4294967296 >>> 0;
    st.prev = now;
    let credit = (st.credit + increase) >>> 0;
    if (credit > st.creditCap) credit = st.creditCap;
    let ret = false;
    if (credit >= st.cost) {
      ret = true;
      credit -= st.cost;
    }
    st.credit = credit;
    return ret;
  },
};

// `-m quota --quota BYTES` (libxt_quota.c; net/netfilter/xt_quota.c quota_mt): a per-rule byte budget spent by
// matching packets (IP total length); once a packet does not fit, the budget drops to zero for good.

import type { MatchModule } from '../module.js';
import { badValue, missing } from '../mod-util.js';

export interface QuotaData {
  /** The budget as written (u64). */
  quota: bigint;
  invert: boolean;
  given: boolean;
}

/** Remaining budget; a u64 above 2^53 cannot run out during a replay, so it is held as a safe number. */
export class QuotaState {
  remaining: number;
  constructor(q: bigint) {
    this.remaining = q > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(q);
  }
}

export const quotaMatch: MatchModule<QuotaData, QuotaState> = {
  kind: 'match',
  name: 'quota',
  family: 0,
  options: [{ name: 'quota', args: 1, invert: true }],
  init: () => ({ quota: 0n, invert: false, given: false }),
  parse(d, o, ctx) {
    if (!/^\d{1,20}$/.test(o.value) || BigInt(o.value) > 0xffffffffffffffffn) badValue(ctx, `bad quota \`${o.value}' (0-18446744073709551615)`);
    d.quota = BigInt(o.value);
    d.invert = o.invert;
    d.given = true;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--quota" must be specified');
  },
  print: (d) => `${d.invert ? '! ' : ''}--quota ${d.quota}`,
  createState: (d: QuotaData) => new QuotaState(d.quota),
  // HOT: quota_mt
  match(d, skb, _env, st) {
    const len = skb.meta.ipTotalLen;
    if (st.remaining >= len) {
      st.remaining -= len;
      return !d.invert;
    }
    st.remaining = 0;
    return d.invert;
  },
};

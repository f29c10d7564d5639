// `-m hashlimit` revision 3: a token bucket (or a measured rate, --hashlimit-rate-match) per key of masked
// addresses and ports, in named tables shared by every rule of the same name and family. Options, defaults,
// final checks and the save form are libxt_hashlimit.c's (iptables 1.8.9: hashlimit_mt_parse,
// hashlimit_mt_check, hashlimit_mt_save); the load checks and evaluation are net/netfilter/xt_hashlimit.c's
// (hashlimit_mt_check_common, hashlimit_mt_common) on capture time: jiffies = floor(nowNs * HZ / 1e9) with
// jiffy 0 at load, as `-m limit` counts them. The kernel's jiffies are a 64-bit unsigned long starting at
// INITIAL_JIFFIES; hashlimit only uses their differences (refill deltas, expiry, collector periods), which
// counting from the load keeps. Packets update the shared state in processing order, whatever their vCPU.

import type { LoadContext, MatchModule, ParseContext } from '../module.js';
import type { FamilyNumber } from '../ast.js';
import { Family } from '../ast.js';
import { IssueCode } from '../issues.js';
import { badValue, conflict, missing, uintOr } from '../mod-util.js';
import { parseUint } from '../values.js';
import {
  BURST_MAX,
  BYTE_EXPIRE_BURST,
  HL_HASH_BITS,
  HlMode,
  bytesText,
  costToBytes,
  modeText,
  parseBurst,
  parseHashlimitRate,
  parseInterval,
  parseMode,
  rateText,
} from './hashlimit-text.js';
import { user2credits, user2creditsByte } from './hashlimit-credits.js';
import { HASHLIMIT_MAX_SIZE, HashlimitTable } from './hashlimit-table.js';
import type { HashlimitConfig } from './hashlimit-table.js';
import { Ri } from './hashlimit-rateinfo.js';
import { hashlimitInitDst } from './hashlimit-key.js';
import { add64, lt64, set64, sub64 } from './u64-words.js';

/**
 * struct xt_hashlimit_mtinfo3 (its cfg: mode as XT_HASHLIMIT_* bits, avg in microseconds per packet or a
 * byte cost, burst in packets or refills) plus what libxt_hashlimit tracks while parsing.
 */
export interface HashlimitData extends HashlimitConfig {
  /** Family the rule was parsed for: address width of the masks, and tables are per family. */
  family: FamilyNumber;
  name: string;
  /** Options given, 1 << Opt (libxtables' xflags). */
  given: number;
  /** hashlimit_mt_udata.mult: seconds per rate unit (15 for byte rates). */
  mult: number;
}

/** Option ids, in `options` order. */
const Opt = {
  UPTO: 0,
  ABOVE: 1,
  SRCMASK: 2,
  DSTMASK: 3,
  BURST: 4,
  HTABLE_SIZE: 5,
  HTABLE_MAX: 6,
  HTABLE_GCINT: 7,
  HTABLE_EXPIRE: 8,
  MODE: 9,
  NAME: 10,
  RATEMATCH: 11,
  INTERVAL: 12,
} as const;

/** The plain u32 options (--hashlimit-htable-*) and the field each one sets. */
const U32_FIELDS: Readonly<Record<number, 'size' | 'max' | 'gcInterval' | 'expire'>> = {
  [Opt.HTABLE_SIZE]: 'size',
  [Opt.HTABLE_MAX]: 'max',
  [Opt.HTABLE_GCINT]: 'gcInterval',
  [Opt.HTABLE_EXPIRE]: 'expire',
};

const has = (d: HashlimitData, opt: number): boolean => (d.given & (1 << opt)) !== 0;

/** XT_HASHLIMIT_BURST and XT_HASHLIMIT_GCINTERVAL (ms): the defaults hashlimit_mt4_init sets. */
const DEFAULT_BURST = 5n;
const DEFAULT_GCINTERVAL = 1000;
/** sizeof(xt_hashlimit_mtinfo3.name): NAME_MAX. xtopt_parse_string keeps at most NAME_MAX - 1 bytes. */
const NAME_SIZE = 255;
/** HZ for the checkentry's overflow test (the load context's HZ is not known there; as for -m limit). */
const CHECK_HZ = 250;

const addrBits = (family: FamilyNumber): number => (family === Family.IPV6 ? 128 : 32);

/** The first `n` bytes of `s` (xtopt_parse_string cuts a name to its field, in bytes). */
function keepBytes(s: string, n: number): string {
  const b = Buffer.from(s, 'utf8');
  return b.length <= n ? s : b.subarray(0, n).toString('utf8');
}

/** The value of --hashlimit-upto / --hashlimit-above into avg, mult and the BYTES bit. */
function parseRateOption(d: HashlimitData, value: string, option: string, ctx: ParseContext): void {
  const r = parseHashlimitRate(value);
  if (typeof r === 'string') badValue(ctx, r);
  if (r === null) badValue(ctx, `Bad value for "--${option}" option: "${value}"`);
  d.avg = r.avg;
  d.mult = r.mult;
  if (r.bytes) d.mode |= HlMode.BYTES;
}

/** hashlimit_mt_check: byte bursts become a refill count, the defaults that depend on the rate. */
function finalCheck(d: HashlimitData, ctx: ParseContext): void {
  if (!has(d, Opt.UPTO) && !has(d, Opt.ABOVE)) missing(ctx, 'You have to specify --hashlimit');
  if (!has(d, Opt.HTABLE_EXPIRE)) d.expire = d.mult * 1000;
  if ((d.mode & HlMode.BYTES) !== 0) {
    let refills = 0n;
    if (has(d, Opt.BURST)) {
      const chunk = costToBytes(d.avg);
      if (d.burst < chunk) badValue(ctx, `burst cannot be smaller than ${chunk}b`);
      if (chunk === 0n) badValue(ctx, `burst of a ${bytesText(d.avg, 0n).rate} rate divides by zero`);
      // uint32_t burst = cfg.burst; burst /= cost_to_bytes(avg); rounded up by the full value's remainder
      refills = BigInt.asUintN(32, BigInt.asUintN(32, d.burst) / chunk);
      if (d.burst % chunk !== 0n) refills = BigInt.asUintN(32, refills + 1n);
      if (!has(d, Opt.HTABLE_EXPIRE)) d.expire = BYTE_EXPIRE_BURST * 1000;
    }
    d.burst = refills;
  } else if (d.burst > BURST_MAX) {
    badValue(ctx, `bad value for option "--hashlimit-burst", or out of range (1-${BURST_MAX}).`);
  }
  if (has(d, Opt.RATEMATCH)) {
    if ((d.mode & HlMode.BYTES) === 0) d.avg /= BigInt(d.mult);
    if (d.interval === 0) d.interval = (d.mode & HlMode.BYTES) !== 0 ? 1 : d.mult;
  }
  // xtables_options_fcheck: the mandatory name, then the exclusion of --hashlimit-upto and -above
  if (!has(d, Opt.NAME)) missing(ctx, 'option "--hashlimit-name" must be specified');
  if (has(d, Opt.UPTO) && has(d, Opt.ABOVE)) conflict(ctx, 'option "--hashlimit-upto" cannot be used together with "--hashlimit-above"');
}

/** The table configuration a rule creates (its cfg after the checkentry's truncation). */
function tableConfig(d: HashlimitData): HashlimitConfig {
  return {
    mode: d.mode,
    avg: d.avg,
    burst: d.burst,
    size: Math.min(d.size, HASHLIMIT_MAX_SIZE),
    max: Math.min(d.max, HASHLIMIT_MAX_SIZE),
    gcInterval: d.gcInterval,
    expire: d.expire,
    interval: d.interval,
    srcmask: d.srcmask,
    dstmask: d.dstmask,
  };
}

/** Per rule: the shared table and the rule's own mode bits, which hashlimit_mt_common reads from its cfg. */
export class HashlimitState {
  readonly invert: boolean;
  readonly rateMatch: boolean;
  readonly bytes: boolean;
  constructor(
    readonly table: HashlimitTable,
    mode: number,
  ) {
    this.invert = (mode & HlMode.INVERT) !== 0;
    this.rateMatch = (mode & HlMode.RATE_MATCH) !== 0;
    this.bytes = (mode & HlMode.BYTES) !== 0;
  }
}

export const hashlimitMatch: MatchModule<HashlimitData, HashlimitState> = {
  kind: 'match',
  name: 'hashlimit',
  family: 0,
  options: [
    { name: 'hashlimit-upto', alias: ['hashlimit'], args: 1, invert: true },
    { name: 'hashlimit-above', args: 1, invert: true },
    { name: 'hashlimit-srcmask', args: 1 },
    { name: 'hashlimit-dstmask', args: 1 },
    { name: 'hashlimit-burst', args: 1 },
    { name: 'hashlimit-htable-size', args: 1 },
    { name: 'hashlimit-htable-max', args: 1 },
    { name: 'hashlimit-htable-gcinterval', args: 1 },
    { name: 'hashlimit-htable-expire', args: 1 },
    { name: 'hashlimit-mode', args: 1 },
    { name: 'hashlimit-name', args: 1 },
    { name: 'hashlimit-rate-match', args: 0 },
    { name: 'hashlimit-rate-interval', args: 1 },
  ],
  // hashlimit_mt4_init / hashlimit_mt6_init
  init: (ctx) => ({
    family: ctx.family,
    name: '',
    mode: 0,
    avg: 0n,
    burst: DEFAULT_BURST,
    size: 0,
    max: 0,
    gcInterval: DEFAULT_GCINTERVAL,
    expire: 0,
    interval: 0,
    srcmask: addrBits(ctx.family),
    dstmask: addrBits(ctx.family),
    given: 0,
    mult: 0,
  }),
  // hashlimit_mt_parse
  parse(d, o, ctx) {
    switch (o.id) {
      case Opt.UPTO:
        if (o.invert) d.mode |= HlMode.INVERT;
        parseRateOption(d, o.value, 'hashlimit-upto', ctx);
        break;
      case Opt.ABOVE:
        if (!o.invert) d.mode |= HlMode.INVERT;
        parseRateOption(d, o.value, 'hashlimit-above', ctx);
        break;
      case Opt.SRCMASK:
      case Opt.DSTMASK: {
        // XTTYPE_PLEN
        const max = addrBits(ctx.family);
        const v = parseUint(o.value, 0, max);
        if (v < 0) badValue(ctx, `bad value for option "--${o.name}", or out of range (0-${max}).`);
        if (o.id === Opt.SRCMASK) d.srcmask = v;
        else d.dstmask = v;
        break;
      }
      case Opt.BURST: {
        const b = parseBurst(o.value);
        if (b === null) badValue(ctx, `bad value for option "--hashlimit-burst", or out of range (1-${BURST_MAX}).`);
        d.burst = b;
        break;
      }
      case Opt.HTABLE_SIZE:
      case Opt.HTABLE_MAX:
      case Opt.HTABLE_GCINT:
      case Opt.HTABLE_EXPIRE:
        d[U32_FIELDS[o.id]!] = uintOr(ctx, o.value, 0, 0xffffffff, o.name);
        break;
      case Opt.MODE: {
        const m = parseMode(o.value);
        if (m === null) badValue(ctx, `Bad value for "--hashlimit-mode" option: "${o.value}"`);
        d.mode |= m;
        break;
      }
      case Opt.NAME:
        if (o.value.length < 1) badValue(ctx, 'Argument must have a minimum length of 1 characters');
        d.name = keepBytes(o.value, NAME_SIZE - 1);
        break;
      case Opt.RATEMATCH:
        d.mode |= HlMode.RATE_MATCH;
        break;
      case Opt.INTERVAL: {
        const v = parseInterval(o.value);
        if (v === null) badValue(ctx, `Bad value for "--hashlimit-rate-interval" option: "${o.value}"`);
        d.interval = v;
        break;
      }
    }
    d.given |= 1 << o.id;
  },
  finish: finalCheck,
  // hashlimit_mt_check / hashlimit_mt_check_common
  check(d, ctx) {
    // xt_check_proc_name: the name becomes a /proc/net/ipt_hashlimit entry
    if (d.name === '.' || d.name === '..' || d.name.includes('/')) {
      ctx.error(IssueCode.BAD_VALUE, `hashlimit match: invalid name "${d.name}" (it names a /proc entry)`);
    }
    if (d.gcInterval === 0 || d.expire === 0) {
      ctx.error(IssueCode.BAD_VALUE, 'hashlimit match: --hashlimit-htable-gcinterval and --hashlimit-htable-expire must not be 0');
      return;
    }
    // truncated in the rule's own cfg, which iptables-save then reads back
    d.size = Math.min(d.size, HASHLIMIT_MAX_SIZE);
    d.max = Math.min(d.max, HASHLIMIT_MAX_SIZE);
    const bits = addrBits(ctx.family);
    if (d.srcmask > bits || d.dstmask > bits) ctx.error(IssueCode.BAD_VALUE, 'hashlimit match: mask longer than the address');
    if ((d.mode & HlMode.RATE_MATCH) !== 0) {
      if (d.avg === 0n || d.avg > 0xffffffffn) ctx.error(IssueCode.BAD_VALUE, 'hashlimit match: invalid rate');
      if (d.interval === 0) ctx.error(IssueCode.BAD_VALUE, 'hashlimit match: invalid interval');
    } else if ((d.mode & HlMode.BYTES) !== 0) {
      if (user2creditsByte(d.avg, CHECK_HZ) === 0) ctx.error(IssueCode.BAD_VALUE, `hashlimit match: overflow, rate too high: ${d.avg}`);
    } else if (d.burst === 0n || user2credits(BigInt.asUintN(64, d.avg * d.burst), CHECK_HZ) < user2credits(d.avg, CHECK_HZ)) {
      ctx.error(IssueCode.BAD_VALUE, `hashlimit match: overflow, try lower: ${d.avg}/${d.burst}`);
    }
  },
  // hashlimit_mt_save
  print(d, ctx) {
    const dmask = addrBits(ctx.family);
    const parts: string[] = [(d.mode & HlMode.INVERT) !== 0 ? '--hashlimit-above' : '--hashlimit-upto'];
    let quantum: number;
    if ((d.mode & HlMode.BYTES) !== 0) {
      const t = bytesText(d.avg, d.burst);
      parts.push(t.rate);
      if (t.burst !== null) parts.push(`--hashlimit-burst ${t.burst}`);
      quantum = t.quantum;
    } else {
      const t = rateText(d.avg);
      parts.push(t.text, `--hashlimit-burst ${d.burst}`);
      quantum = t.quantum;
    }
    if ((d.mode & HL_HASH_BITS) !== 0) parts.push(`--hashlimit-mode ${modeText(d.mode)}`);
    parts.push(`--hashlimit-name ${d.name}`);
    if (d.size !== 0) parts.push(`--hashlimit-htable-size ${d.size}`);
    if (d.max !== 0) parts.push(`--hashlimit-htable-max ${d.max}`);
    if (d.gcInterval !== DEFAULT_GCINTERVAL) parts.push(`--hashlimit-htable-gcinterval ${d.gcInterval}`);
    if (d.expire !== quantum) parts.push(`--hashlimit-htable-expire ${d.expire}`);
    if (d.srcmask !== dmask) parts.push(`--hashlimit-srcmask ${d.srcmask}`);
    if (d.dstmask !== dmask) parts.push(`--hashlimit-dstmask ${d.dstmask}`);
    if ((d.mode & HlMode.RATE_MATCH) !== 0) {
      parts.push('--hashlimit-rate-match');
      if (d.interval !== 1) parts.push(`--hashlimit-rate-interval ${d.interval}`);
    }
    return parts.join(' ');
  },
  // htable_find_get, else htable_create with this rule's configuration
  createState(d: HashlimitData, ctx: LoadContext) {
    const table = ctx.shared(`hashlimit:${d.family}:${d.name}`, () => new HashlimitTable(tableConfig(d), ctx.hz));
    return new HashlimitState(table, d.mode);
  },
  // HOT: hashlimit_mt_common
  match(_d, skb, env, st) {
    const t = st.table;
    const rm = t.rate;
    const now = Math.floor((skb.nowNs * t.hz) / 1e9);
    t.collect(now);
    if (!hashlimitInitDst(t, skb)) {
      env.hotdrop = 1;
      return false;
    }
    let e = t.find();
    if (e < 0) {
      e = t.alloc();
      if (e < 0) {
        env.hotdrop = 1;
        return false;
      }
      t.expires[e] = now + t.expireJiffies;
      rm.init(t, e, now);
    } else {
      t.expires[e] = now + t.expireJiffies;
      rm.recalc(t, e, now);
    }
    const w = t.words;
    const b = e * 8;
    const r = rm.r;
    // skb->len: the IP datagram at the iptables hooks
    const len = skb.meta.ipTotalLen;
    if (st.rateMatch) {
      set64(r, 0, 0, st.bytes ? len : 1);
      add64(w, b + Ri.CURRENT_RATE, w, b + Ri.CURRENT_RATE, r, 0);
      // !prev_window && current_rate <= burst (the s64 burst compared as u64)
      if (w[b + Ri.PREV_WINDOW] === 0 && !lt64(w, b + Ri.BURST, w, b + Ri.CURRENT_RATE)) return !st.invert;
      return st.invert;
    }
    let cost: Uint32Array = w;
    let at = b + Ri.COST;
    if (st.bytes) {
      set64(r, 6, 0, rm.byteCost(t, e, len));
      cost = r;
      at = 6;
    }
    if (!lt64(w, b + Ri.CREDIT, cost, at)) {
      sub64(w, b + Ri.CREDIT, w, b + Ri.CREDIT, cost, at);
      return !st.invert;
    }
    return st.invert;
  },
};

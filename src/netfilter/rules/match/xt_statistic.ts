// `-m statistic --mode random --probability p | --mode nth --every n [--packet p]` (libxt_statistic.c;
// net/netfilter/xt_statistic.c statistic_mt). The probability is stored as round(p * 2^31) and printed with
// %.11f of that stored value (glibc's exact round-half-even); nth keeps its counter in the rule's state.

import type { MatchEnv, MatchModule } from '../module.js';
import type { DnatReach } from '../nat-reach.js';
import { badValue, conflict, missing, uintOr } from '../mod-util.js';

/** XT_STATISTIC_MODE_*. */
export const StatisticMode = { RANDOM: 0, NTH: 1 } as const;

/** struct xt_statistic_info (every stored minus one, as the kernel has it). */
export interface StatisticData {
  mode: number;
  invert: boolean;
  /** round(p * 0x80000000). */
  probability: number;
  every: number;
  packet: number;
  /** Initial nth counter: every - packet. */
  count: number;
  given: number;
}

/** The shared nth counter (info->master->count), and for a random rule that jumps, the DNATs it leads to. */
export class StatisticState {
  count: number;
  reach: DnatReach | null = null;
  constructor(count: number) {
    this.count = count;
  }
}

/**
 * statistic_mt, random mode: one draw per evaluation, (draw & 0x7fffffff) < round(p * 2^31), XOR invert.
 * When the kernel's DNAT of this packet is known, a rule whose jump leads to DNATs matches exactly when one
 * of them could have produced it (nat-reach.ts); the draw is still made, so later draws stay the same. HOT.
 */
export function statisticRandom(d: StatisticData, env: MatchEnv, st: StatisticState): boolean {
  const hit = ((env.random32() & 0x7fffffff) < d.probability) !== d.invert;
  const seen = env.observedDnat;
  if (seen.known === 0 || st.reach === null) return hit;
  return st.reach.contains(seen.addr, seen.port);
}

const G_MODE = 1;
const G_PROB = 2;
const G_EVERY = 4;
const G_PACKET = 8;

/** printf("%.11f", v / 2^31) exactly, for 0 <= v <= 2^31. */
export function probabilityText(v: number): string {
  const scaled = BigInt(v) * 100000000000n; // v * 10^11
  const den = 2147483648n;
  let q = scaled / den;
  const r = scaled % den;
  if (r * 2n > den || (r * 2n === den && q % 2n === 1n)) q += 1n;
  const s = q.toString().padStart(12, '0');
  return `${s.slice(0, -11)}.${s.slice(-11)}`;
}

/** strtod syntax check for XTTYPE_DOUBLE: the number, or NaN. */
function parseDouble(s: string): number {
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return NaN;
  return Number(s);
}

export const statisticMatch: MatchModule<StatisticData, StatisticState> = {
  kind: 'match',
  name: 'statistic',
  family: 0,
  options: [
    { name: 'mode', args: 1 },
    { name: 'probability', args: 1, invert: true },
    { name: 'every', args: 1, invert: true },
    { name: 'packet', args: 1 },
  ],
  init: () => ({ mode: 0, invert: false, probability: 0, every: 0, packet: 0, count: 0, given: 0 }),
  parse(d, o, ctx) {
    if (o.invert) d.invert = true;
    switch (o.id) {
      case 0:
        if (o.value === 'random') d.mode = StatisticMode.RANDOM;
        else if (o.value === 'nth') d.mode = StatisticMode.NTH;
        else badValue(ctx, `Bad mode "${o.value}"`);
        d.given |= G_MODE;
        break;
      case 1: {
        if ((d.given & (G_EVERY | G_PACKET)) !== 0) conflict(ctx, '--probability cannot be used with --every/--packet');
        const p = parseDouble(o.value);
        if (Number.isNaN(p) || p < 0 || p > 1) badValue(ctx, `bad value for option "--probability", or out of range (0-1): \`${o.value}'`);
        d.probability = Math.round(0x80000000 * p);
        d.given |= G_PROB;
        break;
      }
      case 2:
        if ((d.given & G_PROB) !== 0) conflict(ctx, '--every cannot be used with --probability');
        d.every = uintOr(ctx, o.value, 1, 0xffffffff, 'every') - 1;
        d.given |= G_EVERY;
        break;
      case 3:
        if ((d.given & G_PROB) !== 0) conflict(ctx, '--packet cannot be used with --probability');
        d.packet = uintOr(ctx, o.value, 0, 0xffffffff, 'packet');
        d.given |= G_PACKET;
        break;
    }
  },
  finish(d, ctx) {
    if ((d.given & G_MODE) === 0) missing(ctx, 'option "--mode" must be specified');
    if ((d.given & G_EVERY) !== 0 && (d.given & G_PACKET) === 0) missing(ctx, 'option "--every" also requires "--packet"');
    if ((d.given & G_PACKET) !== 0 && (d.given & G_EVERY) === 0) missing(ctx, 'option "--packet" also requires "--every"');
    if (d.mode === StatisticMode.RANDOM && (d.given & G_PROB) === 0) missing(ctx, '--probability must be specified when using random mode');
    if (d.mode === StatisticMode.NTH && (d.given & (G_EVERY | G_PACKET)) === 0) missing(ctx, '--every and --packet must be specified when using nth mode');
    if (d.packet > d.every) badValue(ctx, 'the --packet p must be 0 <= p <= n-1');
    d.count = d.every - d.packet;
  },
  print(d) {
    const inv = d.invert ? ' !' : '';
    if (d.mode === StatisticMode.RANDOM) return `--mode random${inv} --probability ${probabilityText(d.probability)}`;
    return `--mode nth${inv} --every ${d.every + 1} --packet ${d.packet}`;
  },
  createState: (d: StatisticData) => new StatisticState(d.count),
  // HOT: statistic_mt
  match(d, _skb, env, st) {
    if (d.mode === StatisticMode.RANDOM) return statisticRandom(d, env, st);
    const nval = st.count === d.every ? 0 : st.count + 1;
    st.count = nval;
    return (nval === 0) !== d.invert;
  },
};

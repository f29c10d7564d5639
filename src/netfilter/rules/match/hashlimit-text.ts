// The value syntax of libxt_hashlimit.c (iptables 1.8.9, revision 3) with its C integer behaviour: packet
// rates (parse_rate: N[/second|minute|hour|day], microseconds per packet), byte rates (parse_bytes:
// N[k|m]b/s, a cost of UINT32_MAX / (16-byte chunks + 1)), bursts (parse_burst: a count, or bytes with a
// k/m suffix), --hashlimit-rate-interval (parse_interval), --hashlimit-mode (parse_mode), and the save
// forms (print_rate, print_bytes, print_mode) with the default expiry each implies. All u64 values are bigint.

import { BYTE_SHIFT, SCALE_V2 } from './hashlimit-credits.js';

/** XT_HASHLIMIT_* mode bits (struct hashlimit_cfg3.mode). */
export const HlMode = {
  HASH_DIP: 1 << 0,
  HASH_DPT: 1 << 1,
  HASH_SIP: 1 << 2,
  HASH_SPT: 1 << 3,
  INVERT: 1 << 4,
  BYTES: 1 << 5,
  RATE_MATCH: 1 << 6,
} as const;

/** The four bits that select the key of a bucket. */
export const HL_HASH_BITS = HlMode.HASH_DIP | HlMode.HASH_DPT | HlMode.HASH_SIP | HlMode.HASH_SPT;

/** XT_HASHLIMIT_BURST_MAX (rev 2/3) and XT_HASHLIMIT_BYTE_EXPIRE(_BURST) in seconds. */
export const BURST_MAX = 1000000n;
export const BYTE_EXPIRE = 15;
export const BYTE_EXPIRE_BURST = 60;

const U32_MAX = 0xffffffffn;
const U64_MAX = 0xffffffffffffffffn;
const LLONG_MAX = 0x7fffffffffffffffn;
const LLONG_MIN = -0x8000000000000000n;

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
const isDec = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** strtoll(s, NULL, 10): leading space, a sign, digits; saturated to the long long range (glibc). */
function strtoll(s: string): bigint {
  let i = 0;
  while (isSpace(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  let v = 0n;
  while (isDec(s[i])) v = v * 10n + BigInt(s.charCodeAt(i++) - 48);
  if (neg) v = -v;
  return v > LLONG_MAX ? LLONG_MAX : v < LLONG_MIN ? LLONG_MIN : v;
}

/** atoll(s) converted to uint64_t, as libxt_hashlimit stores it in a u64. */
function atollU64(s: string): bigint {
  return BigInt.asUintN(64, strtoll(s));
}

/** atoi(s): strtol then the cast to int. */
function atoi(s: string): number {
  return Number(BigInt.asIntN(32, strtoll(s)));
}

/**
 * strtoumax(s, &end, 0) as xtables_strtoul_base calls it: leading space, no minus, `+`, 0x hex, leading-0
 * octal or decimal. Null when no digit was read, on a minus sign, or above UINTMAX_MAX (ERANGE).
 */
function strtoumaxPrefix(s: string): { value: bigint; end: number } | null {
  let i = 0;
  while (isSpace(s[i])) i++;
  if (s[i] === '-') return null;
  if (s[i] === '+') i++;
  let base = 10;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
    base = 16;
    i += 2;
  } else if (s[i] === '0') {
    base = 8;
  }
  const start = i;
  let v = 0n;
  for (; i < s.length; i++) {
    const c = s[i]!;
    const digit = /[0-9]/.test(c) ? c.charCodeAt(0) - 48 : /[a-f]/i.test(c) ? c.toLowerCase().charCodeAt(0) - 87 : 99;
    if (digit >= base) break;
    v = v * BigInt(base) + BigInt(digit);
  }
  if (i === start) return null;
  return v > U64_MAX ? null : { value: v, end: i };
}

/** get_factor: the byte multiplier of a unit letter. */
function factor(c: string | undefined): bigint {
  return c === 'm' ? 1048576n : c === 'k' ? 1024n : 1n;
}

/** ASCII-only case folding, as strncasecmp in the C locale. */
const lowerAscii = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** cost_to_bytes: the byte rate a cost stands for. */
export function costToBytes(cost: bigint): bigint {
  const r = cost !== 0n ? U32_MAX / cost : U32_MAX;
  return BigInt.asUintN(64, (r - 1n) << BigInt(BYTE_SHIFT));
}

/** bytes_to_cost: UINT32_MAX / (u32)(bytes >> 4) + 1; null where that divisor wraps to 0 (iptables crashes). */
export function bytesToCost(bytes: bigint): bigint | null {
  const r = BigInt.asUintN(32, bytes >> BigInt(BYTE_SHIFT));
  const div = BigInt.asUintN(32, r + 1n);
  return div === 0n ? null : U32_MAX / div;
}

/** What parse_rate / parse_bytes yield: cfg.avg and hashlimit_mt_udata.mult (seconds behind the rate). */
export interface ParsedRate {
  avg: bigint;
  mult: number;
  bytes: boolean;
}

/** parse_bytes: `N[k|m]b/s` (any text with "b/s" after its first character); null when it is not one. */
function parseBytes(s: string): ParsedRate | string | null {
  const at = s.indexOf('b/s');
  if (at <= 0) return null;
  const r = atollU64(s);
  if (r === 0n) return null;
  const tmp = BigInt.asUintN(64, r * factor(s[at - 1]));
  const avg = bytesToCost(tmp);
  if (avg === null) return `Rate too high "${s}" (division by zero)`;
  if (avg === 0n) return `Rate too high "${s}"`;
  return { avg, mult: BYTE_EXPIRE, bytes: true };
}

/** parse_rate: `N[/unit]`, the unit a case-insensitive prefix of second, minute, hour or day. */
function parsePacketRate(s: string): ParsedRate | string | null {
  let mult = 1;
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const unit = lowerAscii(s.slice(slash + 1));
    if (unit === '') return null;
    if ('second'.startsWith(unit)) mult = 1;
    else if ('minute'.startsWith(unit)) mult = 60;
    else if ('hour'.startsWith(unit)) mult = 60 * 60;
    else if ('day'.startsWith(unit)) mult = 24 * 60 * 60;
    else return null;
  }
  const r = atollU64(s);
  if (r === 0n) return null;
  const avg = (SCALE_V2 * BigInt(mult)) / r;
  if (avg === 0n) return `Rate too fast "${s}"`;
  return { avg, mult, bytes: false };
}

/**
 * The value of --hashlimit-upto / --hashlimit-above: a byte rate when parse_bytes takes it, else a packet
 * rate. A string is a fatal error of its own; null is "Bad value".
 */
export function parseHashlimitRate(s: string): ParsedRate | string | null {
  const b = parseBytes(s);
  if (b !== null) return b;
  return parsePacketRate(s);
}

/**
 * parse_burst (rev 2/3): a number in 1..UINT64_MAX (base 0) whose plain form may not pass BURST_MAX, times
 * 1024 or 1048576 for a k or m right after the digits (u64 wrap). Null when out of range.
 */
export function parseBurst(s: string): bigint | null {
  const n = strtoumaxPrefix(s);
  if (n === null || n.value < 1n) return null;
  if (n.end === s.length && n.value > BURST_MAX) return null;
  return BigInt.asUintN(64, n.value * factor(s[n.end]));
}

/** parse_interval: atoi > 0, or null. */
export function parseInterval(s: string): number | null {
  const r = atoi(s);
  return r <= 0 ? null : r;
}

const MODE_WORDS: Readonly<Record<string, number>> = {
  dstip: HlMode.HASH_DIP,
  srcip: HlMode.HASH_SIP,
  srcport: HlMode.HASH_SPT,
  dstport: HlMode.HASH_DPT,
};

/** parse_mode: words split at `,` or `|` (empty pieces skipped, as strtok does); the bits or null. */
export function parseMode(s: string): number | null {
  let bits = 0;
  for (const tok of s.split(/[,|]/)) {
    if (tok === '') continue;
    const b = Object.prototype.hasOwnProperty.call(MODE_WORDS, tok) ? MODE_WORDS[tok] : undefined;
    if (b === undefined) return null;
    bits |= b;
  }
  return bits;
}

/** print_mode with `,`: srcip, srcport, dstip, dstport. */
export function modeText(mode: number): string {
  const words: string[] = [];
  if ((mode & HlMode.HASH_SIP) !== 0) words.push('srcip');
  if ((mode & HlMode.HASH_SPT) !== 0) words.push('srcport');
  if ((mode & HlMode.HASH_DIP) !== 0) words.push('dstip');
  if ((mode & HlMode.HASH_DPT) !== 0) words.push('dstport');
  return words.join(',');
}

/** A printed rate and the expiry (ms) it implies: a save omits --hashlimit-htable-expire when they agree. */
export interface RateText {
  text: string;
  quantum: number;
}

const RATES: ReadonlyArray<readonly [string, bigint]> = [
  ['day', SCALE_V2 * 24n * 60n * 60n],
  ['hour', SCALE_V2 * 60n * 60n],
  ['min', SCALE_V2 * 60n],
  ['sec', SCALE_V2],
];

/** print_rate (rev 3): the largest unit that still divides evenly enough; "inf" for a zero period. */
export function rateText(period: bigint): RateText {
  if (period === 0n) return { text: 'inf', quantum: 0 };
  let i = 1;
  for (; i < RATES.length; i++) {
    const mult = RATES[i]![1];
    if (period > mult || mult / period < mult % period) break;
  }
  const [name, mult] = RATES[i - 1]!;
  return { text: `${mult / period}/${name}`, quantum: Number(mult / SCALE_V2) * 1000 };
}

const UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ['m', 1048576n],
  ['k', 1024n],
  ['', 1n],
];

/** A printed byte rate, its burst in bytes (null when none) and the implied expiry in ms. */
export interface BytesText {
  rate: string;
  burst: string | null;
  quantum: number;
}

/**
 * print_bytes: the rate in the largest unit whose rounded value parses back to the same cost (the mask is
 * a u32, so it also clears bits above 2^32), then the burst (cfg.burst times that rate) in the largest unit
 * it reaches.
 */
export function bytesText(avg: bigint, burst: bigint): BytesText {
  let r = costToBytes(avg);
  let i = 0;
  for (; i < UNITS.length - 1; i++) {
    const thresh = UNITS[i]![1];
    const mask = BigInt((~Number(thresh - 1n)) >>> 0);
    if (r >= thresh && bytesToCost(r & mask) === avg) break;
  }
  const rate = `${r / UNITS[i]![1]}${UNITS[i]![0]}b/s`;
  if (burst === 0n) return { rate, burst: null, quantum: BYTE_EXPIRE * 1000 };
  r = BigInt.asUintN(64, r * burst);
  let j = 0;
  for (; j < UNITS.length - 1; j++) if (r >= UNITS[j]![1]) break;
  return { rate, burst: `${r / UNITS[j]![1]}${UNITS[j]![0]}b`, quantum: BYTE_EXPIRE_BURST * 1000 };
}

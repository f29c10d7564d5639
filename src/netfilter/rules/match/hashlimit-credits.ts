// The unit conversions of net/netfilter/xt_hashlimit.c for revisions 2 and 3 (the ones iptables 1.8.9
// uses): credits per jiffy in packet and byte mode, user2credits, user2credits_byte, user2rate,
// user2rate_bytes, and msecs_to_jiffies for the table's expire and gc timers. Values are C integers: bigint
// where the kernel uses u64 (load time only), numbers where it uses u32.

/** XT_HASHLIMIT_SCALE_v2: rev 2/3 rates are microseconds per packet. */
export const SCALE_V2 = 1000000n;
/** XT_HASHLIMIT_BYTE_SHIFT: byte mode counts 16-byte chunks. */
export const BYTE_SHIFT = 4;

const U32_MAX = 0xffffffffn;
const U64_MAX = 0xffffffffffffffffn;

/** POW2_BELOW32 / POW2_BELOW64: the largest power of two at or below x (x >= 1). */
function pow2Below(x: bigint): bigint {
  let p = 1n;
  while (p * 2n <= x) p *= 2n;
  return p;
}

/** CREDITS_PER_JIFFY (rev 2/3): POW2_BELOW64(0xFFFFFFFFFFFFFFFF / (HZ*60*60*24)); 2^39 at HZ 250. */
export function creditsPerJiffy64(hz: number): bigint {
  return pow2Below(U64_MAX / BigInt(hz * 60 * 60 * 24));
}

/** CREDITS_PER_JIFFY_BYTES: POW2_BELOW32(0xFFFFFFFF / HZ); 2^24 at HZ 250. */
export function creditsPerJiffyBytes(hz: number): number {
  return Number(pow2Below(U32_MAX / BigInt(hz)));
}

/** CREDITS_PER_JIFFY_BYTES * HZ, an unsigned int product: a full byte-mode bucket. */
export function byteCreditCap(hz: number): number {
  return (creditsPerJiffyBytes(hz) * hz) % 4294967296;
}

/** user2credits(user, 3): divide the constant operands first (div64_u64), then scale `user` (u64 wrap). */
export function user2credits(user: bigint, hz: number): bigint {
  const hzCpj = BigInt(hz) * creditsPerJiffy64(hz);
  if (SCALE_V2 >= hzCpj) return BigInt.asUintN(64, user) / (SCALE_V2 / hzCpj);
  return BigInt.asUintN(64, BigInt.asUintN(64, user) * (hzCpj / SCALE_V2));
}

/** user2credits_byte(u32 user): (user * (HZ * CREDITS_PER_JIFFY_BYTES)) >> 32; the avg is cut to u32 first. */
export function user2creditsByte(avg: bigint, hz: number): number {
  const user = BigInt.asUintN(32, avg);
  return Number((user * BigInt(byteCreditCap(hz))) >> 32n);
}

/** user2rate(user): packets per interval for --hashlimit-rate-match (0 for a zero avg). */
export function user2rate(avg: bigint): bigint {
  const a = BigInt.asUintN(64, avg);
  return a === 0n ? 0n : SCALE_V2 / a;
}

/** user2rate_bytes(u32 user): bytes per interval for --hashlimit-rate-match in byte mode. */
export function user2rateBytes(avg: bigint): bigint {
  const user = BigInt.asUintN(32, avg);
  const r = user !== 0n ? U32_MAX / user : U32_MAX;
  return BigInt.asUintN(64, (r - 1n) << BigInt(BYTE_SHIFT));
}

/**
 * msecs_to_jiffies(m) for an unsigned int m: a negative int means "infinite" (MAX_JIFFY_OFFSET, never reached
 * on a capture's time scale: Infinity); HZ dividing 1000 rounds up to whole jiffies; HZ a multiple of 1000
 * multiplies; other HZ values use the kernel's rounded-up reciprocal, modelled as ceil(m * HZ / 1000).
 */
export function msecsToJiffies(m: number, hz: number): number {
  if (m >= 0x80000000) return Infinity;
  if (1000 % hz === 0) {
    const per = 1000 / hz;
    return Math.floor((m + per - 1) / per);
  }
  if (hz % 1000 === 0) return m * (hz / 1000);
  return Math.ceil((m * hz) / 1000);
}

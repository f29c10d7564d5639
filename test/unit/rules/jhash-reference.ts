// An independent reference of the kernel's include/linux/jhash.h word hashes for tests (written from the
// header, not from src/netfilter/nat/jhash.ts): __jhash_final, __jhash_nwords, jhash_3words, jhash_1word,
// reciprocal_scale, with every step reduced to an unsigned 32-bit value as C's u32 arithmetic does.

const JHASH_INITVAL = 0xdeadbeef;

const u32 = (x: number): number => x >>> 0;
const rol32 = (w: number, s: number): number => u32((w << s) | (w >>> (32 - s)));
const sub = (x: number, y: number): number => u32(x - y);
const add = (x: number, y: number): number => u32(x + y);

/** __jhash_final(a, b, c), returning c. */
function jhashFinal(a0: number, b0: number, c0: number): number {
  let a = u32(a0);
  let b = u32(b0);
  let c = u32(c0);
  c = u32(c ^ b); c = sub(c, rol32(b, 14));
  a = u32(a ^ c); a = sub(a, rol32(c, 11));
  b = u32(b ^ a); b = sub(b, rol32(a, 25));
  c = u32(c ^ b); c = sub(c, rol32(b, 16));
  a = u32(a ^ c); a = sub(a, rol32(c, 4));
  b = u32(b ^ a); b = sub(b, rol32(a, 14));
  c = u32(c ^ b); c = sub(c, rol32(b, 24));
  return c;
}

/** __jhash_nwords(a, b, c, initval). */
function jhashNwords(a: number, b: number, c: number, initval: number): number {
  return jhashFinal(add(a, initval), add(b, initval), add(c, initval));
}

/** jhash_3words(a, b, c, initval) = __jhash_nwords(a, b, c, initval + JHASH_INITVAL + (3 << 2)). */
export function refJhash3Words(a: number, b: number, c: number, initval: number): number {
  return jhashNwords(a, b, c, add(add(initval, JHASH_INITVAL), 3 << 2));
}

/** jhash_1word(a, initval) = __jhash_nwords(a, 0, 0, initval + JHASH_INITVAL + (1 << 2)). */
export function refJhash1Word(a: number, initval: number): number {
  return jhashNwords(a, 0, 0, add(add(initval, JHASH_INITVAL), 1 << 2));
}

/** reciprocal_scale(val, ep_ro) = (u32)(((u64)val * ep_ro) >> 32), in BigInt. */
export function refReciprocalScale(val: number, epRo: number): number {
  return Number((BigInt(u32(val)) * BigInt(u32(epRo))) >> 32n);
}

/** The u32 an x86 CPU loads from the four bytes of a __be32 IPv4 address `a.b.c.d` (little-endian load). */
export function leWordOfAddress(dotted: string): number {
  const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
  return u32(a | (b << 8) | (c << 16) | (d << 24));
}

/** ntohl of the same address: the host-order value. */
export function hostWordOfAddress(dotted: string): number {
  const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
  return u32((a << 24) | (b << 16) | (c << 8) | d);
}

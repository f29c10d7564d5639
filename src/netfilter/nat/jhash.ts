// Bob Jenkins' lookup3 hash as the kernel has it in include/linux/jhash.h: jhash() over bytes, jhash2()
// over 32-bit words, jhash_3words/jhash_1word, JHASH_INITVAL 0xdeadbeef. NAT uses jhash2 to pick an address
// from a range (find_best_ips_proto), HMARK and -m cluster the word forms, so results must match the kernel bit
// for bit. All arithmetic is unsigned 32-bit.

/** JHASH_INITVAL: an arbitrary initial parameter (include/linux/jhash.h). */
export const JHASH_INITVAL = 0xdeadbeef;

// The three-word state lives in module scratch so that the hot path allocates nothing.
let A = 0;
let B = 0;
let C = 0;

function rol32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// __jhash_mix: mix three 32-bit values reversibly.
function mix(): void {
  let a = A;
  let b = B;
  let c = C;
  a = (a - c) | 0; a ^= rol32(c, 4); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rol32(a, 6); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rol32(b, 8); b = (b + a) | 0;
  a = (a - c) | 0; a ^= rol32(c, 16); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rol32(a, 19); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rol32(b, 4); b = (b + a) | 0;
  A = a;
  B = b;
  C = c;
}

// __jhash_final: final mixing of three 32-bit values into c.
function final(): void {
  let a = A;
  let b = B;
  let c = C;
  c ^= b; c = (c - rol32(b, 14)) | 0;
  a ^= c; a = (a - rol32(c, 11)) | 0;
  b ^= a; b = (b - rol32(a, 25)) | 0;
  c ^= b; c = (c - rol32(b, 16)) | 0;
  a ^= c; a = (a - rol32(c, 4)) | 0;
  b ^= a; b = (b - rol32(a, 14)) | 0;
  c ^= b; c = (c - rol32(b, 24)) | 0;
  A = a;
  B = b;
  C = c;
}

/**
 * jhash2(k, length, initval): hash `length` 32-bit words of `k` starting at `off`. Identical to lookup3's
 * hashword(). Words are taken as given (the caller decides byte order). HOT: no allocation.
 */
export function jhash2(k: ArrayLike<number>, off: number, length: number, initval: number): number {
  A = B = C = (JHASH_INITVAL + ((length << 2) >>> 0) + (initval >>> 0)) | 0;
  let i = off;
  let len = length;
  while (len > 3) {
    A = (A + k[i]!) | 0;
    B = (B + k[i + 1]!) | 0;
    C = (C + k[i + 2]!) | 0;
    mix();
    len -= 3;
    i += 3;
  }
  // the kernel's switch (length) { case 3: c += k[2]; case 2: b += k[1]; case 1: a += k[0]; final }
  if (len > 0) {
    if (len === 3) C = (C + k[i + 2]!) | 0;
    if (len >= 2) B = (B + k[i + 1]!) | 0;
    A = (A + k[i]!) | 0;
    final();
  }
  return C >>> 0;
}

/**
 * jhash(key, length, initval): hash `length` bytes of `key` from `off`, words read little-endian as the
 * kernel's __get_unaligned_cpu32 does on x86. Identical to lookup3's hashlittle(). HOT: no allocation.
 */
export function jhash(key: Uint8Array, off: number, length: number, initval: number): number {
  A = B = C = (JHASH_INITVAL + (length >>> 0) + (initval >>> 0)) | 0;
  let i = off;
  let len = length;
  while (len > 12) {
    A = (A + le32(key, i)) | 0;
    B = (B + le32(key, i + 4)) | 0;
    C = (C + le32(key, i + 8)) | 0;
    mix();
    len -= 12;
    i += 12;
  }
  if (len === 0) return C >>> 0;
  // tail: bytes k[0..len) added into a, b, c little-endian (the kernel's switch with fallthrough)
  if (len >= 12) C = (C + (key[i + 11]! << 24)) | 0;
  if (len >= 11) C = (C + (key[i + 10]! << 16)) | 0;
  if (len >= 10) C = (C + (key[i + 9]! << 8)) | 0;
  if (len >= 9) C = (C + key[i + 8]!) | 0;
  if (len >= 8) B = (B + (key[i + 7]! << 24)) | 0;
  if (len >= 7) B = (B + (key[i + 6]! << 16)) | 0;
  if (len >= 6) B = (B + (key[i + 5]! << 8)) | 0;
  if (len >= 5) B = (B + key[i + 4]!) | 0;
  if (len >= 4) A = (A + (key[i + 3]! << 24)) | 0;
  if (len >= 3) A = (A + (key[i + 2]! << 16)) | 0;
  if (len >= 2) A = (A + (key[i + 1]! << 8)) | 0;
  A = (A + key[i]!) | 0;
  final();
  return C >>> 0;
}

/**
 * __jhash_nwords as jhash_3words / jhash_2words / jhash_1word use it: a, b and c each get `iv` (the caller's
 * initval + JHASH_INITVAL + (words << 2)) added, then __jhash_final. HOT: no allocation.
 */
function nwords(a: number, b: number, c: number, iv: number): number {
  A = (a + iv) | 0;
  B = (b + iv) | 0;
  C = (c + iv) | 0;
  final();
  return C >>> 0;
}

/** jhash_3words(a, b, c, initval) of include/linux/jhash.h (xt_HMARK's hmark_hash). HOT. */
export function jhash3Words(a: number, b: number, c: number, initval: number): number {
  return nwords(a, b, c, (initval + JHASH_INITVAL + (3 << 2)) | 0);
}

/** jhash_1word(a, initval) of include/linux/jhash.h (xt_cluster's xt_cluster_hash_ipv4). HOT. */
export function jhash1Word(a: number, initval: number): number {
  return nwords(a, 0, 0, (initval + JHASH_INITVAL + (1 << 2)) | 0);
}

function le32(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
}

/** Byte-swap a 32-bit value: a host-order IPv4 address as the kernel's raw __be32 word reads on x86. */
export function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/**
 * reciprocal_scale(val, ep_ro): ((u64)val * ep_ro) >> 32, exact for unsigned 32-bit inputs (the 64-bit
 * product is split so that every intermediate stays below 2^53). HOT.
 */
export function reciprocalScale(val: number, epRo: number): number {
  const v = val >>> 0;
  const e = epRo >>> 0;
  const hi = (v >>> 16) * e; // < 2^48
  const lo = (v & 0xffff) * e; // < 2^48
  const mid = hi + Math.floor(lo / 65536); // < 2^49
  return Math.floor(mid / 65536) >>> 0;
}

// Seeded 32-bit hashing over small tuples of 32-bit words (murmur3 mixing, Math.imul): used for RPS
// steering, conntrack bucket placement and interning. Deterministic for a seed, no allocation.

/** murmur3 fmix32 finalizer: a strong 32-bit bit mixer. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fold one 32-bit word into a running murmur3 hash state. HOT. */
export function hashWord(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Hash of up to four words with a seed. HOT. */
export function hash4(seed: number, a: number, b: number, c: number, d: number): number {
  let h = seed | 0;
  h = hashWord(h, a);
  h = hashWord(h, b);
  h = hashWord(h, c);
  h = hashWord(h, d);
  return mix32(h ^ 16);
}

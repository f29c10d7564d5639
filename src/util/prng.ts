// Seeded pseudo-random numbers (xoshiro128**): every random choice nfreplay makes — NAT port offsets,
// `-m statistic --mode random`, clash winners — draws from one of these, so a run repeats exactly for a seed.
// Streams are split by name (`fork`) so that adding draws in one place does not shift another's sequence.

import { mix32 } from './hash.js';

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, stream = 0) {
    // splitmix-style expansion of (seed, stream) into four non-zero words
    let x = (seed >>> 0) ^ Math.imul(stream >>> 0, 0x9e3779b9);
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      return mix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform unsigned 32-bit integer. HOT: no allocation. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform 16-bit value, as the kernel's get_random_u16(). */
  u16(): number {
    return this.u32() >>> 16;
  }

  /** Uniform integer in [0, n) for n <= 2^32 (multiply-shift, like the kernel's reciprocal_scale). */
  below(n: number): number {
    return Math.floor((this.u32() * n) / 4294967296);
  }

  /** Independent generator for a named purpose, derived from this one's seed material. */
  fork(name: string): Prng {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    return new Prng(this.s0 ^ this.s2, h >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

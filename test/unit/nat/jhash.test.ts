// jhash2/jhash (include/linux/jhash.h) against values that did not come from our code: Bob Jenkins'
// lookup3.c hashword() compiled with gcc, and the hashlittle() values lookup3.c's own driver5() documents.
import { describe, expect, it } from 'vitest';
import { bswap32, jhash, jhash2, JHASH_INITVAL, reciprocalScale } from '../../../src/netfilter/nat/jhash.js';

describe('jhash2 = lookup3 hashword()', () => {
  // printed by lookup3.c hashword() (public domain, Bob Jenkins), gcc 12 on x86-64
  const cases: Array<[number[], number, number]> = [
    [[0x0201000a, 0, 0, 0], 0x0a026433, 0x811925be],
    [[0x0201000a, 0, 0, 0], 0, 0xf0fc7e54],
    [[0x0301000a, 0, 0, 0], 0, 0xa81f56ed],
    [[0x0301000a, 0, 0, 0], 0x0a026433, 0x3be381ba],
    [[1, 2, 3, 4, 5, 6, 7], 0, 0x3e606a2c],
    [[1, 2, 3, 4, 5, 6, 7], 13, 0x12f0819a],
    [[1, 2, 3, 4, 5, 6], 0, 0xe3e36b25],
    [[1, 2, 3, 4, 5], 0, 0x629129c0],
    [[0xdeadbeef, 0xcafebabe, 0x12345678], 0, 0xf41aa286],
    [[0xdeadbeef, 0xcafebabe], 0xdeadbeef, 0x337ce610],
    [[0xffffffff], 0xffffffff, 0xeae46760],
    [[0x80000000, 0x00000001], 7, 0xb0ab9148],
    [[], 0, 0xdeadbeef],
  ];
  for (const [k, init, want] of cases) {
    it(`hashword([${k.map((x) => x.toString(16)).join(',')}], ${k.length}, ${init.toString(16)})`, () => {
      expect(jhash2(k, 0, k.length, init)).toBe(want);
    });
  }

  it('reads the words from an offset in a typed array', () => {
    const words = new Uint32Array([99, 99, 1, 2, 3, 4, 5, 6, 7]);
    expect(jhash2(words, 2, 7, 13)).toBe(0x12f0819a);
  });

  it('a zero-length key returns the initial state without mixing', () => {
    expect(jhash2([], 0, 0, JHASH_INITVAL)).toBe(0xbd5b7dde);
  });
});

describe('jhash = lookup3 hashlittle()', () => {
  const four = new TextEncoder().encode('Four score and seven years ago');
  // lookup3.c driver5(): "hash is 17770551" / "hash is cd628161"; empty key: deadbeef / bd5b7dde
  it('driver5 values', () => {
    expect(jhash(four, 0, 30, 0)).toBe(0x17770551);
    expect(jhash(four, 0, 30, 1)).toBe(0xcd628161);
    expect(jhash(four, 0, 0, 0)).toBe(0xdeadbeef);
    expect(jhash(four, 0, 0, 0xdeadbeef)).toBe(0xbd5b7dde);
  });
});

describe('helpers', () => {
  it('bswap32 gives the raw network-order word as x86 reads it', () => {
    expect(bswap32(0x0a000102)).toBe(0x0201000a); // 10.0.1.2
    expect(bswap32(0xc633640a)).toBe(0x0a6433c6); // 198.51.100.10
    expect(bswap32(0xffffffff)).toBe(0xffffffff);
  });

  it('reciprocalScale is the high word of the 64-bit product', () => {
    // hand-computed: (2^32-1)^2 >> 32 = 2^32 - 2; 2^31 * 100 >> 32 = 50; 0xdeadbeef * 100 >> 32 = 86
    expect(reciprocalScale(0xffffffff, 0xffffffff)).toBe(0xfffffffe);
    expect(reciprocalScale(0x80000000, 100)).toBe(50);
    expect(reciprocalScale(0xdeadbeef, 100)).toBe(86);
    expect(reciprocalScale(12345, 0)).toBe(0);
    expect(reciprocalScale(0, 0xffffffff)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, putBe16, putBe32, be16, be32 } from '../../src/util/bytes.js';
import { csumPartialReplace, csumReplace2, csumReplace4, ipv4HeaderChecksum, csumVerifies, l4Checksum, pseudoHeaderSum, udpCsumReplace4 } from '../../src/wire/checksum.js';

// IPv4 header from RFC 1071-style worked examples (Wikipedia "IPv4 header checksum"): checksum 0xb861.
const HDR = fromHex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');

describe('checksums', () => {
  it('computes a known IPv4 header checksum and verifies it', () => {
    expect(ipv4HeaderChecksum(HDR, 0, 20)).toBe(0xb861);
    expect(csumVerifies(HDR, 0, 20, 0)).toBe(true);
    const bad = HDR.slice();
    bad[11] ^= 1;
    expect(csumVerifies(bad, 0, 20, 0)).toBe(false);
  });

  it('incremental 16-bit update equals full recompute (TTL decrement)', () => {
    const h = HDR.slice();
    const oldWord = be16(h, 8);
    h[8] = h[8]! - 1;
    const inc = csumReplace2(0xb861, oldWord, be16(h, 8));
    expect(inc).toBe(ipv4HeaderChecksum(h, 0, 20));
  });

  it('property: incremental address/port update equals full recompute over random UDP datagrams', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffff), (seg, s, d, s2, p2) => {
        const b = seg.slice();
        putBe16(b, 4, b.length);
        const pseudo = pseudoHeaderSum(s, d, 17, b.length);
        const c = l4Checksum(b, 0, b.length, 6, pseudo);
        putBe16(b, 6, c);
        // change source address (pseudo-header) and source port
        let inc = csumReplace4(c, s, s2);
        const oldPort = be16(b, 0);
        putBe16(b, 0, p2);
        inc = csumReplace2(inc, oldPort, p2);
        const full = l4Checksum(b, 0, b.length, 6, pseudoHeaderSum(s2, d, 17, b.length));
        // one's complement has two zeros; both encodings verify
        expect(inc === full || (inc === 0xffff && full === 0) || (inc === 0 && full === 0xffff)).toBe(true);
      }),
    );
  });

  it('UDP "no checksum" stays 0 and a computed 0 becomes 0xffff', () => {
    expect(udpCsumReplace4(0, 0x0a000001, 0x0a000002)).toBe(0);
    // ~(~0xffff + ~0 + 0) folds to 0: the plain update yields 0, the UDP form must write 0xffff
    expect(csumReplace4(0xffff, 0, 0)).toBe(0);
    expect(udpCsumReplace4(0xffff, 0, 0)).toBe(0xffff);
  });

  it('reads 32-bit values unsigned', () => {
    const b = new Uint8Array(4);
    putBe32(b, 0, 0xc0a80001);
    expect(be32(b, 0)).toBe(0xc0a80001);
  });

  it('moves a CHECKSUM_PARTIAL field (the folded pseudo-header sum) as recomputing it would', () => {
    const fold = (x: number): number => {
      while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 65536);
      return x;
    };
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffffffff), fc.integer({ min: 0, max: 65515 }), fc.nat(0xffffffff), (s, d, s2, len, d2) => {
        const field = fold(pseudoHeaderSum(s, d, 6, len));
        // the source address changes (SNAT), then the destination (DNAT), then the length (TCPMSS)
        let f = csumPartialReplace(field, s, s2);
        expect(f).toBe(fold(pseudoHeaderSum(s2, d, 6, len)));
        f = csumPartialReplace(f, d, d2);
        expect(f).toBe(fold(pseudoHeaderSum(s2, d2, 6, len)));
        f = csumPartialReplace(f, len, len + 4);
        expect(f).toBe(fold(pseudoHeaderSum(s2, d2, 6, len + 4)));
      }),
    );
  });
});


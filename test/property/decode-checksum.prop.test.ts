// Checksum properties: the unrolled sums equal a plain word-by-word reference; the decoder's DataView sum
// equals csumPartial; ipv4HeaderVerifies equals csumVerifies; and an RFC 1624 incremental update (NAT of
// addresses and ports, TTL decrement) leaves a packet the decoder verifies as good, like a full recompute.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { csumPartial, csumReplace2, csumReplace4, csumVerifies, ipv4HeaderVerifies, udpCsumReplace2, udpCsumReplace4, l4Checksum, pseudoHeaderSum } from '../../src/wire/checksum.js';
import { sumWords } from '../../src/decode/verify.js';
import { be16, be32, putBe16, putBe32 } from '../../src/util/bytes.js';
import { decodeFrame, Verify } from '../../src/decode/decode.js';
import { DecodeCounters } from '../../src/decode/counters.js';
import { Csum, PacketMeta } from '../../src/decode/meta.js';
import { frame } from '../unit/decode/frames.js';

function reference(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | (i + 1 < len ? b[off + i + 1]! : 0);
  return s;
}

describe('sums', () => {
  it('csumPartial and the DataView sum equal a word-by-word reference', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), fc.nat(0xffffff), (b, o, l, start) => {
        const off = b.length === 0 ? 0 : o % (b.length + 1);
        const len = l % (b.length - off + 1);
        const ref = reference(b, off, len) + start;
        expect(csumPartial(b, off, len, start)).toBe(ref);
        expect(sumWords(new DataView(b.buffer, b.byteOffset, b.byteLength), off, len, start)).toBe(ref);
      }),
      { numRuns: 5000 },
    );
  });

  it('ipv4HeaderVerifies agrees with csumVerifies', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 15 }), fc.uint8Array({ minLength: 60, maxLength: 60 }), fc.boolean(), (ihl, b, fix) => {
        const hlen = ihl * 4;
        if (fix) {
          putBe16(b, 10, 0);
          let sum = reference(b, 0, hlen);
          while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
          putBe16(b, 10, ~sum & 0xffff);
          expect(ipv4HeaderVerifies(b, 0, hlen)).toBe(true);
        }
        expect(ipv4HeaderVerifies(b, 0, hlen)).toBe(csumVerifies(b, 0, hlen, 0));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('incremental updates keep packets valid for the decoder', () => {
  const m = new PacketMeta();
  const c = new DecodeCounters();
  const good = Csum.IPV4_CHECKED | Csum.L4_CHECKED;

  it('TCP: SNAT/DNAT of addresses and ports and a TTL decrement, RFC 1624 style', () => {
    fc.assert(
      fc.property(fc.constantFrom('ETH_IPV4_TCP_SYN' as const, 'ETH_IPV4_TCP_ACK_TS' as const), fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffff), fc.nat(0xffff), (name, s2, d2, sp2, dp2) => {
        const b = frame(name);
        const ip = 14;
        const tcp = 34;
        let ipc = be16(b, ip + 10);
        let l4c = be16(b, tcp + 16);
        const s = be32(b, ip + 12);
        const d = be32(b, ip + 16);
        // addresses: IP header checksum and TCP pseudo-header (inet_proto_csum_replace4 with pseudohdr)
        ipc = csumReplace4(csumReplace4(ipc, s, s2), d, d2);
        l4c = csumReplace4(csumReplace4(l4c, s, s2), d, d2);
        putBe32(b, ip + 12, s2);
        putBe32(b, ip + 16, d2);
        // ports
        l4c = csumReplace2(csumReplace2(l4c, be16(b, tcp), sp2), be16(b, tcp + 2), dp2);
        putBe16(b, tcp, sp2);
        putBe16(b, tcp + 2, dp2);
        // TTL (ip_decrease_ttl): the TTL/protocol word changes
        const w = be16(b, ip + 8);
        b[ip + 8] = (b[ip + 8]! - 1) & 0xff;
        ipc = csumReplace2(ipc, w, be16(b, ip + 8));
        putBe16(b, ip + 10, ipc);
        putBe16(b, tcp + 16, l4c);
        decodeFrame(m, b, 0, b.length, b.length, 1, c, Verify.ALL);
        expect(m.csum).toBe(good);
        // and the full recompute agrees up to the two encodings of zero
        const full = l4Checksum(b, tcp, b.length - tcp, 16, pseudoHeaderSum(s2, d2, 6, b.length - tcp));
        expect(full === l4c || (full === 0 && l4c === 0xffff) || (full === 0xffff && l4c === 0)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('UDP: the UDP variants keep "no checksum" as 0 and a real checksum valid', () => {
    fc.assert(
      fc.property(fc.constantFrom('ETH_IPV4_UDP' as const, 'ETH_IPV4_UDP_NOCSUM' as const), fc.nat(0xffffffff), fc.nat(0xffff), (name, s2, sp2) => {
        const b = frame(name);
        const s = be32(b, 26);
        const ipc = csumReplace4(be16(b, 24), s, s2);
        let l4c = udpCsumReplace4(be16(b, 40), s, s2);
        l4c = udpCsumReplace2(l4c, be16(b, 34), sp2);
        putBe32(b, 26, s2);
        putBe16(b, 34, sp2);
        putBe16(b, 24, ipc);
        putBe16(b, 40, l4c);
        decodeFrame(m, b, 0, b.length, b.length, 1, c, Verify.ALL);
        expect(m.csum).toBe(name === 'ETH_IPV4_UDP' ? good : Csum.IPV4_CHECKED | Csum.L4_NONE);
      }),
      { numRuns: 3000 },
    );
  });
});

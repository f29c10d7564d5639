// SCTP port NAT with the CRC-32C recomputed (sctp_manip_pkt), the CRC-32C itself against its published
// check value, and NatRange construction / HOOK2MANIP as the uapi header defines them.
import { describe, expect, it } from 'vitest';
import { IpProto } from '../../../src/decode/meta.js';
import { Nat } from '../../../src/netfilter/nat/nat.js';
import { Manip, NAT_RANGE_PROTO_RANDOM_ALL, NatRangeFlag, hookToManip, natRangeFrom } from '../../../src/netfilter/nat/range.js';
import { crc32c } from '../../../src/netfilter/nat/sctp-crc32c.js';
import { CtInfo, CtStatus, Hook, Verdict } from '../../../src/netfilter/skb.js';
import { Prng } from '../../../src/util/prng.js';
import { FakeCt, tup } from './fake-ct.js';
import { fillCsum, hex, metaFor, rfc1071, skbOn } from './pkt-helpers.js';

/** CRC-32C bit by bit from its definition (reflected 0x82F63B78, init and final XOR all ones). */
function crc32cBitwise(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('SCTP', () => {
  it('CRC-32C check value of "123456789" is 0xe3069283 (RFC 3720 B.4 / the CRC catalogue)', () => {
    const s = new TextEncoder().encode('123456789');
    expect(crc32c(s, 0, 9)).toBe(0xe3069283);
    expect(crc32cBitwise(s)).toBe(0xe3069283);
  });

  it('DNAT of an SCTP INIT rewrites the port and recomputes the CRC (stored little-endian)', () => {
    const ct = new FakeCt();
    const nat = new Nat({ conntrack: ct, prng: new Prng(1), host: { masqueradeSource: () => 0, redirectAddress: () => 0 }, extras: ct });
    const c = ct.addConfirmed(
      tup('198.51.100.10', '198.51.100.1', 5000, 9000, IpProto.SCTP),
      tup('172.17.0.2', '198.51.100.10', 9999, 5000, IpProto.SCTP),
      CtStatus.DST_NAT,
    );
    // IPv4 (52 bytes) + SCTP common header (ports, verification tag 0, checksum) + an INIT chunk (20 bytes)
    const b = hex('45000034000040004084 0000 c633640a c6336401 13882328 00000000 00000000 01000014 11223344 0001a000 000a000a 55667788'.replace(/ /g, ''));
    fillCsum(b, 10, 0, 20);
    const put = (v: number) => b.set([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24], 28);
    b.fill(0, 28, 32);
    put(crc32cBitwise(b.subarray(20)));
    expect(nat.packet(skbOn(metaFor(b), c, CtInfo.NEW), Hook.PRE_ROUTING)).toBe(Verdict.ACCEPT);
    expect(b.subarray(16, 24)).toEqual(hex('ac1100021388270f'));
    const stored = (b[28]! | (b[29]! << 8) | (b[30]! << 16) | (b[31]! << 24)) >>> 0;
    b.fill(0, 28, 32);
    expect(stored).toBe(crc32cBitwise(b.subarray(20)));
    expect(rfc1071(b, 0, 20)).toBe(0);
  });
});

describe('NatRange and HOOK2MANIP', () => {
  it('flags have the uapi values', () => {
    expect([NatRangeFlag.MAP_IPS, NatRangeFlag.PROTO_SPECIFIED, NatRangeFlag.PROTO_RANDOM, NatRangeFlag.PERSISTENT]).toEqual([1, 2, 4, 8]);
    expect([NatRangeFlag.PROTO_RANDOM_FULLY, NatRangeFlag.PROTO_OFFSET, NatRangeFlag.NETMAP, NAT_RANGE_PROTO_RANDOM_ALL]).toEqual([16, 32, 64, 20]);
  });

  it('--to-destination 10.0.0.1-10.0.0.9:80-90/1000 --random --persistent', () => {
    const r = natRangeFrom({ minAddr: 0x0a000001, maxAddr: 0x0a000009, minPort: 80, maxPort: 90, basePort: 1000, random: true, persistent: true });
    expect(r.flags).toBe(1 | 2 | 4 | 8 | 32);
    expect([r.minAddr, r.maxAddr, r.minProto, r.maxProto, r.baseProto]).toEqual([0x0a000001, 0x0a000009, 80, 90, 1000]);
    expect(r.randomAll).toBe(true);
  });

  it('MASQUERADE without options is an empty range; a single port repeats', () => {
    expect(natRangeFrom({}).flags).toBe(0);
    const p = natRangeFrom({ minPort: 8080 });
    expect([p.flags, p.minProto, p.maxProto]).toEqual([NatRangeFlag.PROTO_SPECIFIED, 8080, 8080]);
  });

  it('SRC at POST_ROUTING and LOCAL_IN, DST at PRE_ROUTING and LOCAL_OUT', () => {
    expect([Hook.PRE_ROUTING, Hook.LOCAL_IN, Hook.LOCAL_OUT, Hook.POST_ROUTING].map(hookToManip)).toEqual([Manip.DST, Manip.SRC, Manip.DST, Manip.SRC]);
  });
});

// Packet builders and fast-check arbitraries for the NAT property tests: IPv4 (with options) carrying TCP
// (with options), UDP (checksum computed or "none") or ICMP echo, all checksums filled with the test-local
// RFC 1071 routine; and ICMP errors quoting such packets.
import fc from 'fast-check';
import { IpProto } from '../../../src/decode/meta.js';
import { fillCsum, pseudo } from './pkt-helpers.js';

export interface PktSpec {
  proto: number;
  src: number;
  dst: number;
  sport: number;
  dport: number;
  /** ICMP echo: type 8 or 0, id in sport. */
  icmpType: number;
  ipOpts: number; // words of IP options (0..10)
  tcpOpts: number; // words of TCP options (0..10)
  payload: Uint8Array;
  ttl: number;
  ipId: number;
  udpNoCsum: boolean;
}

export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const u16 = fc.integer({ min: 0, max: 0xffff });

export const pktSpec: fc.Arbitrary<PktSpec> = fc.record({
  proto: fc.constantFrom(IpProto.TCP, IpProto.UDP, IpProto.ICMP),
  src: u32,
  dst: u32,
  sport: u16,
  dport: u16,
  icmpType: fc.constantFrom(8, 0),
  ipOpts: fc.integer({ min: 0, max: 10 }),
  tcpOpts: fc.integer({ min: 0, max: 10 }),
  payload: fc.uint8Array({ minLength: 0, maxLength: 80 }),
  ttl: fc.integer({ min: 2, max: 255 }),
  ipId: u16,
  udpNoCsum: fc.boolean(),
});

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
function put32(b: Uint8Array, o: number, v: number): void {
  put16(b, o, v >>> 16);
  put16(b, o + 2, v & 0xffff);
}

/** Build the packet with correct checksums (UDP "none" = 0 when asked). */
export function build(s: PktSpec): Uint8Array {
  const ihl = 20 + s.ipOpts * 4;
  const l4hdr = s.proto === IpProto.TCP ? 20 + s.tcpOpts * 4 : 8;
  const len = ihl + l4hdr + s.payload.length;
  const b = new Uint8Array(len);
  b[0] = 0x40 | (ihl / 4);
  put16(b, 2, len);
  put16(b, 4, s.ipId);
  b[6] = 0x40;
  b[8] = s.ttl;
  b[9] = s.proto;
  put32(b, 12, s.src);
  put32(b, 16, s.dst);
  for (let i = 20; i < ihl; i++) b[i] = 1; // NOP options
  const l4 = ihl;
  if (s.proto === IpProto.ICMP) {
    b[l4] = s.icmpType;
    put16(b, l4 + 4, s.sport);
    put16(b, l4 + 6, s.dport);
  } else {
    put16(b, l4, s.sport);
    put16(b, l4 + 2, s.dport);
  }
  if (s.proto === IpProto.TCP) {
    b[l4 + 12] = (l4hdr / 4) << 4;
    b[l4 + 13] = 0x18;
    for (let i = l4 + 20; i < l4 + l4hdr; i++) b[i] = 1;
  }
  if (s.proto === IpProto.UDP) put16(b, l4 + 4, len - ihl);
  b.set(s.payload, l4 + l4hdr);
  fillCsum(b, 10, 0, ihl);
  if (s.proto === IpProto.TCP) fillCsum(b, l4 + 16, l4, len, pseudo(b));
  else if (s.proto === IpProto.UDP) {
    if (!s.udpNoCsum) {
      fillCsum(b, l4 + 6, l4, len, pseudo(b));
      if (b[l4 + 6] === 0 && b[l4 + 7] === 0) put16(b, l4 + 6, 0xffff); // RFC 768: computed 0 is sent as 0xffff
    }
  } else fillCsum(b, l4 + 2, l4, len);
  return b;
}

/** An ICMP error of `type`/`code` from `src` to `dst` (outer options `opts` words) quoting `quoted`. */
export function icmpErrorAround(src: number, dst: number, type: number, code: number, opts: number, quoted: Uint8Array): Uint8Array {
  const ihl = 20 + opts * 4;
  const len = ihl + 8 + quoted.length;
  const b = new Uint8Array(len);
  b[0] = 0x40 | (ihl / 4);
  put16(b, 2, len);
  b[8] = 64;
  b[9] = IpProto.ICMP;
  put32(b, 12, src);
  put32(b, 16, dst);
  for (let i = 20; i < ihl; i++) b[i] = 1;
  b[ihl] = type;
  b[ihl + 1] = code;
  b.set(quoted, ihl + 8);
  fillCsum(b, 10, 0, ihl);
  fillCsum(b, ihl + 2, ihl, len);
  return b;
}

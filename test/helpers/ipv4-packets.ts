// Hand-built IPv4 packets for unit tests: a header and a TCP/UDP/ICMP segment with valid checksums,
// placed at a given offset of a buffer, decoded into a PacketMeta.
import { PacketMeta } from '../../src/decode/meta.js';
import { DecodeCounters } from '../../src/decode/counters.js';
import { decodeIpv4Packet } from '../../src/decode/ipv4.js';
import { Verify } from '../../src/decode/verify.js';
import { putBe16, putBe32 } from '../../src/util/bytes.js';
import { parseIpv4 } from '../../src/util/ipv4.js';
import { csumVerifies, ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../../src/wire/checksum.js';

export interface TcpSpec {
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  flags: number;
  /** TCP options bytes (padded by the caller to a multiple of 4). */
  options?: number[];
  payload?: number;
  ttl?: number;
  id?: number;
  df?: boolean;
}

/** Write an IPv4/TCP packet at `off` in `b`; returns its length. */
export function writeTcp(b: Uint8Array, off: number, s: TcpSpec): number {
  const opts = s.options ?? [];
  const th = 20 + opts.length;
  const payload = s.payload ?? 0;
  const len = 20 + th + payload;
  const src = parseIpv4(s.src ?? '172.17.0.2');
  const dst = parseIpv4(s.dst ?? '198.51.100.10');
  b[off] = 0x45;
  b[off + 1] = 0;
  putBe16(b, off + 2, len);
  putBe16(b, off + 4, s.id ?? 0x1234);
  putBe16(b, off + 6, s.df === false ? 0 : 0x4000);
  b[off + 8] = s.ttl ?? 64;
  b[off + 9] = 6;
  putBe32(b, off + 12, src);
  putBe32(b, off + 16, dst);
  putBe16(b, off + 10, 0);
  putBe16(b, off + 10, ipv4HeaderChecksum(b, off, 20));
  const t = off + 20;
  putBe16(b, t, s.sport ?? 40000);
  putBe16(b, t + 2, s.dport ?? 80);
  putBe32(b, t + 4, s.seq ?? 5000);
  putBe32(b, t + 8, s.ack ?? 0);
  b[t + 12] = (th / 4) << 4;
  b[t + 13] = s.flags;
  putBe16(b, t + 14, 64240);
  putBe16(b, t + 16, 0);
  putBe16(b, t + 18, 0);
  for (let i = 0; i < opts.length; i++) b[t + 20 + i] = opts[i]!;
  for (let i = 0; i < payload; i++) b[t + th + i] = (i * 13) & 0xff;
  putBe16(b, t + 16, l4Checksum(b, t, th + payload, 16, pseudoHeaderSum(src, dst, 6, th + payload)));
  return len;
}

/** Decode the IPv4 packet at `off` into a fresh PacketMeta. */
export function decodeAt(b: Uint8Array, off: number, len: number): PacketMeta {
  const m = new PacketMeta();
  decodeIpv4Packet(m, b, off, len, new DecodeCounters(), Verify.ALL);
  return m;
}

/** Both checksums of an IPv4/TCP or UDP packet verify by full recomputation. */
export function checksumsValid(b: Uint8Array, off: number): boolean {
  const len = (b[off + 2]! << 8) | b[off + 3]!;
  const hl = (b[off]! & 15) * 4;
  if (!csumVerifies(b, off, hl, 0)) return false;
  const src = ((b[off + 12]! << 24) | (b[off + 13]! << 16) | (b[off + 14]! << 8) | b[off + 15]!) >>> 0;
  const dst = ((b[off + 16]! << 24) | (b[off + 17]! << 16) | (b[off + 18]! << 8) | b[off + 19]!) >>> 0;
  const proto = b[off + 9]!;
  return csumVerifies(b, off + hl, len - hl, pseudoHeaderSum(src, dst, proto, len - hl));
}

/** The folded pseudo-header sum of the TCP/UDP packet at `off`: what a CHECKSUM_PARTIAL field holds. */
export function pseudoFold(b: Uint8Array, off: number): number {
  const len = (b[off + 2]! << 8) | b[off + 3]!;
  const hl = (b[off]! & 15) * 4;
  let sum = b[off + 9]! + len - hl;
  for (let i = off + 12; i < off + 20; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Make the TCP (field at +16) or UDP (+6) checksum of the packet at `off` a CHECKSUM_PARTIAL one. */
export function makePartial(b: Uint8Array, off: number): void {
  const hl = (b[off]! & 15) * 4;
  putBe16(b, off + hl + (b[off + 9] === 6 ? 16 : 6), pseudoFold(b, off));
}

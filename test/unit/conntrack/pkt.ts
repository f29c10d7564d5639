// Test packets for the conntrack suites: IPv4 TCP/UDP/ICMP bytes with correct checksums (or deliberately
// wrong ones), decoded by the real decoder into an Skb with a vCPU and a virtual time.

import { DecodeCounters } from '../../../src/decode/counters.js';
import { decodeIpv4Packet } from '../../../src/decode/decode.js';
import { PacketMeta, TcpFlag } from '../../../src/decode/meta.js';
import { Skb } from '../../../src/netfilter/skb.js';
import { putBe16, putBe32 } from '../../../src/util/bytes.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';
import { ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../../../src/wire/checksum.js';

export const F = TcpFlag;
const counters = new DecodeCounters();

function ip(a: string): number {
  const v = parseIpv4(a);
  if (v < 0) throw new Error(`bad address ${a}`);
  return v;
}

/** IPv4 header + `l4` bytes; `frag` is the raw flags/fragment-offset field. */
export function ipv4(src: string, dst: string, proto: number, l4: Uint8Array, opts: { ttl?: number; id?: number; frag?: number } = {}): Uint8Array {
  const b = new Uint8Array(20 + l4.length);
  b[0] = 0x45;
  putBe16(b, 2, b.length);
  putBe16(b, 4, opts.id ?? 1);
  putBe16(b, 6, opts.frag ?? 0x4000);
  b[8] = opts.ttl ?? 64;
  b[9] = proto;
  putBe32(b, 12, ip(src));
  putBe32(b, 16, ip(dst));
  putBe16(b, 10, ipv4HeaderChecksum(b, 0, 20));
  b.set(l4, 20);
  return b;
}

export interface TcpOpts {
  seq?: number;
  ack?: number;
  flags: number;
  win?: number;
  /** Payload bytes. */
  len?: number;
  /** Raw option bytes (padded to a multiple of 4 here). */
  options?: number[];
  badCsum?: boolean;
}

export function tcp(src: string, sport: number, dst: string, dport: number, o: TcpOpts): Uint8Array {
  const opt = o.options ?? [];
  const optLen = (opt.length + 3) & ~3;
  const hlen = 20 + optLen;
  const l4 = new Uint8Array(hlen + (o.len ?? 0));
  putBe16(l4, 0, sport);
  putBe16(l4, 2, dport);
  putBe32(l4, 4, (o.seq ?? 1000) >>> 0);
  putBe32(l4, 8, (o.ack ?? 0) >>> 0);
  l4[12] = (hlen / 4) << 4;
  l4[13] = o.flags;
  putBe16(l4, 14, o.win ?? 64240);
  for (let i = 0; i < opt.length; i++) l4[20 + i] = opt[i]!;
  for (let i = hlen; i < l4.length; i++) l4[i] = 0x61;
  let c = l4Checksum(l4, 0, l4.length, 16, pseudoHeaderSum(ip(src), ip(dst), 6, l4.length));
  if (o.badCsum) c ^= 0x1111;
  putBe16(l4, 16, c);
  return ipv4(src, dst, 6, l4);
}

export function udp(src: string, sport: number, dst: string, dport: number, len = 10, o: { badCsum?: boolean; zeroCsum?: boolean; lenField?: number } = {}): Uint8Array {
  const l4 = new Uint8Array(8 + len);
  putBe16(l4, 0, sport);
  putBe16(l4, 2, dport);
  putBe16(l4, 4, o.lenField ?? l4.length);
  for (let i = 8; i < l4.length; i++) l4[i] = 0x62;
  let c = l4Checksum(l4, 0, l4.length, 6, pseudoHeaderSum(ip(src), ip(dst), 17, l4.length));
  if (c === 0) c = 0xffff;
  if (o.badCsum) c ^= 0x2222;
  if (o.zeroCsum) c = 0;
  putBe16(l4, 6, c);
  return ipv4(src, dst, 17, l4);
}

/** ICMP message: type, code, 4 bytes rest-of-header (id, seq) and `body`. */
export function icmp(src: string, dst: string, type: number, code: number, id: number, seq: number, body: Uint8Array = new Uint8Array(56), badCsum = false): Uint8Array {
  const l4 = new Uint8Array(8 + body.length);
  l4[0] = type;
  l4[1] = code;
  putBe16(l4, 4, id);
  putBe16(l4, 6, seq);
  l4.set(body, 8);
  let c = l4Checksum(l4, 0, l4.length, 2, 0);
  if (badCsum) c ^= 0x3333;
  putBe16(l4, 2, c);
  return ipv4(src, dst, 1, l4);
}

/** An ICMP error from `src` to `dst` quoting the IP header and first 8 L4 bytes of `orig`. */
export function icmpError(src: string, dst: string, type: number, code: number, orig: Uint8Array): Uint8Array {
  return icmp(src, dst, type, code, 0, 0, orig.subarray(0, Math.min(orig.length, 28)));
}

/** Decode `bytes` into a fresh Skb on `vcpu` at virtual time `now` (ns). */
export function skbOf(bytes: Uint8Array, now = 0, vcpu = 0): Skb {
  const m = new PacketMeta();
  decodeIpv4Packet(m, bytes, 0, bytes.length, counters);
  const s = new Skb(m);
  s.nowNs = now;
  s.vcpu = vcpu;
  return s;
}

export const SEC = 1e9;

// Builds small `tcpdump -i any` style captures (Linux cooked v2) for tests: IPv4 UDP/TCP frames received on
// a given interface index, with valid checksums, written with nfreplay's pcap writer.
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { LinkType } from '../../src/capture/types.js';
import { putBe16, putBe32 } from '../../src/util/bytes.js';
import { parseIpv4, parseMac } from '../../src/util/ipv4.js';
import { ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../../src/wire/checksum.js';

export interface CraftedFrame {
  /** Nanoseconds after the start of the capture. */
  tNs: number;
  ifindex: number;
  /** SLL2 packet type: 0 host, 3 other host, 4 outgoing. */
  pktType: number;
  srcMac: string;
  proto: 'udp' | 'tcp';
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** TCP flags byte (SYN = 2) */
  flags?: number;
  seq?: number;
  payload?: number;
  ipId?: number;
}

/** The 20-byte SLL2 header at b[0..20) of an IPv4 frame of packet type `pktType` on `ifindex` from `srcMac`. */
export function putSll2Header(b: Uint8Array, ifindex: number, pktType: number, srcMac: string): void {
  const mac = parseMac(srcMac)!;
  putBe16(b, 0, 0x0800);
  putBe16(b, 2, 0);
  putBe32(b, 4, ifindex);
  putBe16(b, 8, 1);
  b[10] = pktType;
  b[11] = 6;
  putBe16(b, 12, mac.hi);
  putBe32(b, 14, mac.lo);
  putBe16(b, 18, 0);
}

export function writeSll2(path: string, frames: readonly CraftedFrame[]): void {
  const w = new PcapWriter(path, { linkType: LinkType.LINUX_SLL2, nanosecond: true });
  const b = new Uint8Array(2048);
  for (const f of frames) {
    const src = parseIpv4(f.src);
    const dst = parseIpv4(f.dst);
    const payload = f.payload ?? 16;
    const l4h = f.proto === 'udp' ? 8 : 20;
    const ipLen = 20 + l4h + payload;
    putSll2Header(b, f.ifindex, f.pktType, f.srcMac);
    const ip = 20;
    b[ip] = 0x45;
    b[ip + 1] = 0;
    putBe16(b, ip + 2, ipLen);
    putBe16(b, ip + 4, f.ipId ?? 1);
    putBe16(b, ip + 6, 0x4000);
    b[ip + 8] = 64;
    b[ip + 9] = f.proto === 'udp' ? 17 : 6;
    putBe32(b, ip + 12, src);
    putBe32(b, ip + 16, dst);
    putBe16(b, ip + 10, 0);
    putBe16(b, ip + 10, ipv4HeaderChecksum(b, ip, 20));
    const l4 = ip + 20;
    putBe16(b, l4, f.sport);
    putBe16(b, l4 + 2, f.dport);
    if (f.proto === 'udp') {
      putBe16(b, l4 + 4, 8 + payload);
      putBe16(b, l4 + 6, 0);
    } else {
      putBe32(b, l4 + 4, f.seq ?? 1000);
      putBe32(b, l4 + 8, 0);
      b[l4 + 12] = 5 << 4;
      b[l4 + 13] = f.flags ?? 2;
      putBe16(b, l4 + 14, 64240);
      putBe16(b, l4 + 16, 0);
      putBe16(b, l4 + 18, 0);
    }
    for (let i = 0; i < payload; i++) b[l4 + l4h + i] = i & 0xff;
    const proto = f.proto === 'udp' ? 17 : 6;
    const at = f.proto === 'udp' ? 6 : 16;
    let c = l4Checksum(b, l4, l4h + payload, at, pseudoHeaderSum(src, dst, proto, l4h + payload));
    if (proto === 17 && c === 0) c = 0xffff;
    putBe16(b, l4 + at, c);
    const total = 20 + ipLen;
    w.writePacket(b, 0, total, total, 1_700_000_000 + Math.floor(f.tNs / 1e9), f.tNs % 1e9);
  }
  w.close();
}

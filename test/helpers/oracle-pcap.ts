// The agreement harness' own capture I/O: whole-file pcap and pcapng reading (Ethernet, Linux SLL/SLL2,
// raw IPv4; pcapng EPB/SPB with per-interface link types and tsresol) and a classic pcap writer for tests.
// Deliberately independent of src/capture: the judge must not share code (or bugs) with what it judges.

import * as fs from 'node:fs';
import { be16, be32, le16, le32 } from '../../src/util/bytes.js';

export const LINK_ETHERNET = 1;
export const LINK_RAW = 101;
export const LINK_SLL = 113;
export const LINK_IPV4 = 228;
export const LINK_SLL2 = 276;

/** One captured frame, copied out of the file. */
export interface PcapFrame {
  /** Capture time in nanoseconds since the epoch. */
  tsNs: bigint;
  linkType: number;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId: number;
  /** if_name of the pcapng interface, when the file names it. */
  interfaceName: string | null;
  /** SLL/SLL2 packet type (4 = outgoing) or -1. */
  pktType: number;
  /** SLL2 interface index or -1. */
  ifIndex: number;
  /** SLL/SLL2 link-layer (source) address, hex with colons, or null. */
  sllAddr: string | null;
  /** pcapng epb_flags direction (0 unknown, 1 in, 2 out). */
  direction: number;
  /** The whole frame as captured. */
  data: Uint8Array;
  /** 0-based index of this frame in its file. */
  index: number;
}

/** Where the IPv4 header starts in a frame of the given link type, or -1 when it carries no IPv4. */
export function ipv4Offset(linkType: number, d: Uint8Array): number {
  switch (linkType) {
    case LINK_ETHERNET: {
      if (d.length < 14) return -1;
      let t = be16(d, 12);
      let off = 14;
      while ((t === 0x8100 || t === 0x88a8) && d.length >= off + 4) {
        t = be16(d, off + 2);
        off += 4;
      }
      return t === 0x0800 && d.length > off ? off : -1;
    }
    case LINK_SLL2:
      return d.length > 20 && be16(d, 0) === 0x0800 ? 20 : -1;
    case LINK_SLL:
      return d.length > 16 && be16(d, 14) === 0x0800 ? 16 : -1;
    case LINK_RAW:
    case LINK_IPV4:
      return d.length > 0 && d[0]! >> 4 === 4 ? 0 : -1;
    default:
      return -1;
  }
}

function macHex(d: Uint8Array, off: number, len: number): string {
  const parts: string[] = [];
  for (let i = 0; i < len; i++) parts.push(d[off + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

function withLinkFields(f: PcapFrame): PcapFrame {
  const d = f.data;
  if (f.linkType === LINK_SLL2 && d.length >= 20) {
    f.ifIndex = be32(d, 4);
    f.pktType = d[10]!;
    f.sllAddr = macHex(d, 12, Math.min(d[11]!, 8));
  } else if (f.linkType === LINK_SLL && d.length >= 16) {
    f.pktType = be16(d, 0);
    f.sllAddr = macHex(d, 6, Math.min(be16(d, 4), 8));
  }
  return f;
}

function frame(tsNs: bigint, linkType: number, ifId: number, name: string | null, data: Uint8Array, index: number, direction = 0): PcapFrame {
  return withLinkFields({ tsNs, linkType, interfaceId: ifId, interfaceName: name, pktType: -1, ifIndex: -1, sllAddr: null, direction, data, index });
}

/** Read every frame of a classic pcap or a pcapng file. Throws on a malformed file (the harness' inputs are trusted recordings). */
export function readCapture(path: string): PcapFrame[] {
  const buf = new Uint8Array(fs.readFileSync(path));
  if (buf.length < 4) throw new Error(`${path}: too short for a capture file`);
  const magicLe = le32(buf, 0);
  if (magicLe === 0x0a0d0d0a) return readPcapng(path, buf);
  const m = be32(buf, 0);
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  if (!le && m !== 0xa1b2c3d4 && m !== 0xa1b23c4d) throw new Error(`${path}: not a pcap or pcapng file`);
  const nano = (le ? magicLe : m) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? le32(buf, o) : be32(buf, o));
  const linkType = u32(20) & 0x0fffffff;
  const out: PcapFrame[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    if (off + 16 + incl > buf.length) throw new Error(`${path}: record ${out.length} at byte ${off} runs past the end`);
    const tsNs = BigInt(sec) * 1_000_000_000n + BigInt(nano ? frac : frac * 1000);
    out.push(frame(tsNs, linkType, 0, null, buf.slice(off + 16, off + 16 + incl), out.length));
    off += 16 + incl;
  }
  return out;
}

interface NgInterface {
  linkType: number;
  name: string | null;
  unitsPerSec: bigint;
}

function readPcapng(path: string, buf: Uint8Array): PcapFrame[] {
  const out: PcapFrame[] = [];
  let ifs: NgInterface[] = [];
  let le = true;
  let off = 0;
  while (off + 12 <= buf.length) {
    const type = le ? le32(buf, off) : be32(buf, off);
    if (type === 0x0a0d0d0a) {
      le = le32(buf, off + 8) === 0x1a2b3c4d;
      ifs = [];
    }
    const u32 = (o: number): number => (le ? le32(buf, o) : be32(buf, o));
    const u16 = (o: number): number => (le ? le16(buf, o) : be16(buf, o));
    const len = u32(off + 4);
    if (len < 12 || off + len > buf.length) throw new Error(`${path}: block at byte ${off} has a bad length ${len}`);
    const opts = (start: number, visit: (code: number, at: number, olen: number) => void): void => {
      let o = start;
      while (o + 4 <= off + len - 4) {
        const code = u16(o);
        const olen = u16(o + 2);
        if (code === 0) break;
        visit(code, o + 4, olen);
        o += 4 + ((olen + 3) & ~3);
      }
    };
    if (type === 1) {
      const ifc: NgInterface = { linkType: u16(off + 8), name: null, unitsPerSec: 1_000_000n };
      opts(off + 16, (code, at, olen) => {
        if (code === 2) ifc.name = new TextDecoder().decode(buf.subarray(at, at + olen));
        if (code === 9) {
          const r = buf[at]!;
          ifc.unitsPerSec = r & 0x80 ? 2n ** BigInt(r & 0x7f) : 10n ** BigInt(r);
        }
      });
      ifs.push(ifc);
    } else if (type === 6) {
      const id = u32(off + 8);
      const ifc = ifs[id];
      if (!ifc) throw new Error(`${path}: packet block at byte ${off} names unknown interface ${id}`);
      const ts = (BigInt(u32(off + 12)) << 32n) | BigInt(u32(off + 16));
      const cap = u32(off + 20);
      let dir = 0;
      opts(off + 28 + ((cap + 3) & ~3), (code, at) => {
        if (code === 2) dir = u32(at) & 3;
      });
      const tsNs = (ts * 1_000_000_000n) / ifc.unitsPerSec;
      out.push(frame(tsNs, ifc.linkType, id, ifc.name, buf.slice(off + 28, off + 28 + cap), out.length, dir));
    } else if (type === 3) {
      const ifc = ifs[0];
      if (!ifc) throw new Error(`${path}: simple packet block at byte ${off} before any interface`);
      const orig = u32(off + 8);
      const cap = Math.min(orig, len - 16);
      out.push(frame(0n, ifc.linkType, 0, ifc.name, buf.slice(off + 12, off + 12 + cap), out.length));
    }
    off += len;
  }
  return out;
}

/** Frames for writeCapture: time, bytes. */
export interface WriteFrame {
  tsNs: bigint;
  data: Uint8Array;
}

/** Write a classic little-endian nanosecond pcap (used by the harness' tests to build replay-like outputs). */
export function writeCapture(path: string, linkType: number, frames: readonly WriteFrame[]): void {
  let size = 24;
  for (const f of frames) size += 16 + f.data.length;
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0xa1b23c4d, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 262144, true);
  v.setUint32(20, linkType, true);
  let off = 24;
  for (const f of frames) {
    v.setUint32(off, Number(f.tsNs / 1_000_000_000n), true);
    v.setUint32(off + 4, Number(f.tsNs % 1_000_000_000n), true);
    v.setUint32(off + 8, f.data.length, true);
    v.setUint32(off + 12, f.data.length, true);
    b.set(f.data, off + 16);
    off += 16 + f.data.length;
  }
  fs.writeFileSync(path, b);
}

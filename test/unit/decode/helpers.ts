// Shared helpers for the decoder tests: decode a byte array once into a fresh PacketMeta and counter block,
// and read IPv4 addresses as dotted quads so expectations read like the frame descriptions.

import { decodeFrame, Verify } from '../../../src/decode/decode.js';
import { DecodeCounters } from '../../../src/decode/counters.js';
import { PacketMeta } from '../../../src/decode/meta.js';
import { formatIpv4 } from '../../../src/util/ipv4.js';

export interface Decoded {
  m: PacketMeta;
  c: DecodeCounters;
}

/** Decode `bytes` (placed at `pad` bytes into a larger buffer, to catch offset mistakes). */
export function decode(bytes: Uint8Array, linkType: number, opts: { caplen?: number; wirelen?: number; verify?: number; pad?: number } = {}): Decoded {
  const pad = opts.pad ?? 7;
  const buf = new Uint8Array(pad + bytes.length + 5).fill(0xee);
  buf.set(bytes, pad);
  const m = new PacketMeta();
  const c = new DecodeCounters();
  const caplen = opts.caplen ?? bytes.length;
  decodeFrame(m, buf, pad, caplen, opts.wirelen ?? bytes.length, linkType, c, opts.verify ?? Verify.ALL);
  return { m, c };
}

/** Offset relative to the start of the frame (PacketMeta offsets are absolute in the buffer). */
export function rel(m: PacketMeta, abs: number): number {
  return abs < 0 ? abs : abs - m.frameOff;
}

export function ip(v: number): string {
  return formatIpv4(v);
}

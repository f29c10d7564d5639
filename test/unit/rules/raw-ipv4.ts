// Test helper: byte-literal IPv4 packets of any protocol (an IPv4 header, optional IP options, then the given
// transport bytes), decoded as the datapath decodes them and wrapped in an Skb, for matches that read bytes.

import { PacketMeta } from '../../../src/decode/meta.js';
import { DecodeCounters } from '../../../src/decode/counters.js';
import { decodeIpv4Packet } from '../../../src/decode/ipv4.js';
import { Verify } from '../../../src/decode/verify.js';
import { Skb } from '../../../src/netfilter/skb.js';
import { putBe16, putBe32 } from '../../../src/util/bytes.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';
import { ipv4HeaderChecksum } from '../../../src/wire/checksum.js';

export interface RawSpec {
  proto: number;
  /** Everything after the IP header (transport header and payload). */
  l4: readonly number[];
  src?: string;
  dst?: string;
  /** IP option bytes (a multiple of 4). */
  ipOptions?: readonly number[];
  /** The flags and fragment offset field (default: DF). */
  frag?: number;
  /** Bytes of junk before the IP header, so that offsets from the frame start are wrong (default 14). */
  lead?: number;
  /** Keep only this many bytes of the IP packet in the capture (caplen), the rest is "snapped". */
  snap?: number;
}

/** Bytes of the IP packet described by `s` (checksummed header). */
export function ipv4Bytes(s: RawSpec): Uint8Array {
  const opts = s.ipOptions ?? [];
  const hl = 20 + opts.length;
  const len = hl + s.l4.length;
  const b = new Uint8Array(len);
  b[0] = 0x40 | (hl >>> 2);
  putBe16(b, 2, len);
  putBe16(b, 4, 0x4242);
  putBe16(b, 6, s.frag ?? 0x4000);
  b[8] = 64;
  b[9] = s.proto;
  putBe32(b, 12, parseIpv4(s.src ?? '192.0.2.1'));
  putBe32(b, 16, parseIpv4(s.dst ?? '198.51.100.2'));
  b.set(opts, 20);
  putBe16(b, 10, ipv4HeaderChecksum(b, 0, hl));
  b.set(s.l4, hl);
  return b;
}

/** The packet decoded into an Skb; the IP header sits `lead` bytes into the frame buffer. */
export function rawSkb(s: RawSpec): Skb {
  const ip = ipv4Bytes(s);
  const lead = s.lead ?? 14;
  const buf = new Uint8Array(lead + ip.length).fill(0xee);
  buf.set(ip, lead);
  const m = new PacketMeta();
  decodeIpv4Packet(m, buf, lead, ip.length, new DecodeCounters(), Verify.ALL);
  if (s.snap !== undefined) m.caplen = s.snap;
  return new Skb(m);
}

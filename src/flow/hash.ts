// flowHash: the seeded, symmetric 32-bit hash of a decoded packet that steers it to a modeled CPU, as
// Linux RPS does with skb_get_hash() (the flow dissector orders the endpoints first, so both directions
// land on one CPU: __flow_hash_consistentify). Ports count for TCP, UDP, SCTP and UDP-Lite only.

import { be32 } from '../util/bytes.js';
import { mix32 } from '../util/hash.js';
import { IpProto, L3, type PacketMeta } from '../decode/meta.js';

/** Does this IP protocol carry 16-bit ports in its first four bytes (and do they belong in a flow key)? */
export function protoHasPorts(proto: number): boolean {
  return proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.SCTP || proto === IpProto.UDPLITE;
}

/**
 * Symmetric flow hash of `m` for `seed`: A→B and B→A give the same value. IPv4/IPv6: the two endpoints
 * (address, and port for protoHasPorts protocols with a decoded header) ordered, plus the protocol; IPv6
 * addresses are folded to 32 bits each first. Other frames: the ordered MAC pair and the EtherType.
 * The result has 31 bits (0 .. 2^31 - 1): always a small integer, so returning it never allocates. HOT.
 */
export function flowHash(m: PacketMeta, seed: number): number {
  let a: number;
  let b: number;
  let pa = 0;
  let pb = 0;
  let kind: number;
  if (m.l3 === L3.IPV4 && m.l3Off >= 0) {
    a = m.saddr;
    b = m.daddr;
    kind = m.ipProto;
  } else if (m.l3 === L3.IPV6 && m.ipHdrLen !== 0) {
    a = foldIpv6(m.data, m.l3Off + 8, seed);
    b = foldIpv6(m.data, m.l3Off + 24, seed);
    kind = m.ipProto | 0x600;
  } else {
    return macHash(m, seed);
  }
  if (m.l4Off >= 0 && protoHasPorts(m.ipProto)) {
    pa = m.sport;
    pb = m.dport;
  }
  if (a > b || (a === b && pa > pb)) return mix4(seed, b, a, (pb << 16) | pa, kind);
  return mix4(seed, a, b, (pa << 16) | pb, kind);
}

/**
 * Four words into 31 well-mixed bits: one multiply-xorshift round per word and the murmur3 finalizer.
 * Half the work of murmur3's per-word mixing; steering only needs an even spread over a few CPUs. HOT.
 */
function mix4(seed: number, w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(seed ^ w0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ w1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ w2, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ w3, 0x27d4eb2f);
  return mix32(h) >>> 1;
}

/** A 128-bit IPv6 address at `off` folded to an unsigned 32-bit word. HOT. */
function foldIpv6(d: Uint8Array, off: number, seed: number): number {
  return mix4(seed ^ 0x6a09e667, be32(d, off), be32(d, off + 4), be32(d, off + 8), be32(d, off + 12));
}

/** Non-IP frames: ordered (src MAC, dst MAC) and the EtherType. HOT. */
function macHash(m: PacketMeta, seed: number): number {
  const sHi = m.srcMacHi;
  const sLo = m.srcMacLo;
  const dHi = m.dstMacHi;
  const dLo = m.dstMacLo;
  const kind = m.etherType | (m.l3 << 16);
  if (sHi > dHi || (sHi === dHi && sLo > dLo)) return mix4(seed, dLo, sLo, (dHi << 16) | sHi, kind);
  return mix4(seed, sLo, dLo, (sHi << 16) | dHi, kind);
}

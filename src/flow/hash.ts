// flowHash: the seeded, symmetric 32-bit hash of a decoded packet that steers it to a modeled CPU, as
// Linux RPS does with skb_get_hash() (the flow dissector orders the endpoints first, so both directions
// land on one CPU: __flow_hash_consistentify). Ports count for TCP, UDP, SCTP and UDP-Lite only.

import { be32 } from '../util/bytes.js';
import { hash4, hashWord, mix32 } from '../util/hash.js';
import { IpProto, L3, type PacketMeta } from '../decode/meta.js';

/** Does this IP protocol carry 16-bit ports in its first four bytes (and do they belong in a flow key)? */
export function protoHasPorts(proto: number): boolean {
  return proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.SCTP || proto === IpProto.UDPLITE;
}

/**
 * Symmetric flow hash of `m` for `seed`: A→B and B→A give the same value. IPv4/IPv6: the two endpoints
 * (address, and port for protoHasPorts protocols with a decoded header) ordered, plus the protocol; IPv6
 * addresses are folded to 32 bits each first. Other frames: the ordered MAC pair and the EtherType. HOT.
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
  if (a > b || (a === b && pa > pb)) return hash4(seed, b, a, ((pb << 16) | pa) >>> 0, kind);
  return hash4(seed, a, b, ((pa << 16) | pb) >>> 0, kind);
}

/** A 128-bit IPv6 address at `off` folded to an unsigned 32-bit word. HOT. */
function foldIpv6(d: Uint8Array, off: number, seed: number): number {
  let h = seed ^ 0x6a09e667;
  h = hashWord(h, be32(d, off));
  h = hashWord(h, be32(d, off + 4));
  h = hashWord(h, be32(d, off + 8));
  h = hashWord(h, be32(d, off + 12));
  return mix32(h);
}

/** Non-IP frames: ordered (src MAC, dst MAC) and the EtherType. HOT. */
function macHash(m: PacketMeta, seed: number): number {
  const sHi = m.srcMacHi;
  const sLo = m.srcMacLo;
  const dHi = m.dstMacHi;
  const dLo = m.dstMacLo;
  const kind = m.etherType | (m.l3 << 16);
  if (sHi > dHi || (sHi === dHi && sLo > dLo)) return hash4(seed, dLo, sLo, ((dHi << 16) | sHi) >>> 0, kind);
  return hash4(seed, sLo, dLo, ((sHi << 16) | dHi) >>> 0, kind);
}

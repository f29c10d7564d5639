// nf_ct_get_tuple for IPv4 (nf_conntrack_core.c, icmp_pkt_to_tuple, gre_pkt_to_tuple): the packet's
// ORIGINAL-direction tuple from PacketMeta, failing like the kernel when the L4 header is too short to
// hold the ports (4 bytes), the ICMP header (8) or the GRE header. Bytes beyond the capture are absent.

import type { PacketMeta } from '../../decode/meta.js';
import { IpProto } from '../../decode/meta.js';
import { be16 } from '../../util/bytes.js';
import type { Tuple } from './tuple.js';

const DCCP = 33;

/** Are bytes [off, off + n) of the packet present in the captured data? HOT. */
export function captured(m: PacketMeta, off: number, n: number): boolean {
  return off >= 0 && off + n <= m.frameOff + m.caplen && off + n <= m.data.length;
}

/** Fill `tu` with the packet's tuple; false when it cannot be built (the packet is then untracked). HOT. */
export function packetTuple(m: PacketMeta, tu: Tuple): boolean {
  const proto = m.ipProto;
  if (proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.UDPLITE || proto === IpProto.SCTP || proto === DCCP) {
    if (m.l4Off < 0 || m.l4Len < 4) return false;
    tu.set(m.saddr, m.daddr, m.sport, m.dport, proto);
    return true;
  }
  if (proto === IpProto.ICMP) {
    if (m.l4Off < 0 || m.l4Len < 8) return false;
    // the id field is read for every type (un.echo.id), not only for echo and timestamp messages
    const id = captured(m, m.l4Off + 4, 2) ? be16(m.data, m.l4Off + 4) : m.icmpId;
    tu.set(m.saddr, m.daddr, id, (m.icmpType << 8) | m.icmpCode, proto);
    return true;
  }
  if (proto === IpProto.GRE) {
    // only PPTP's enhanced GRE (version 1) has keys; without a helper the source key is 0
    const off = m.l3Off + m.ipHdrLen;
    if (m.ipTotalLen - m.ipHdrLen < 4 || !captured(m, off, 4)) return false;
    let key = 0;
    if ((m.data[off + 1]! & 7) === 1) {
      if (m.ipTotalLen - m.ipHdrLen < 8 || !captured(m, off, 8)) return false;
      key = be16(m.data, off + 6);
    }
    tu.set(m.saddr, m.daddr, 0, key, proto);
    return true;
  }
  tu.set(m.saddr, m.daddr, 0, 0, proto);
  return true;
}

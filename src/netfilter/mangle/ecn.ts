// ECN target on the IPv4 and TCP headers, mirroring ipt_ECN.c ecn_tg: set_ect_ip rewrites the two ECN bits
// of the TOS byte and fixes the header checksum with csum_replace2; set_ect_tcp rewrites the ECE and CWR
// flags and fixes the TCP checksum with inet_proto_csum_replace2 on the flags word (pseudohdr false, so a
// CHECKSUM_PARTIAL field is left as it is).

import { be16, putBe16 } from '../../util/bytes.js';
import { csumReplace2 } from '../../wire/checksum.js';
import type { PacketMeta } from '../../decode/meta.js';
import { Csum, IpProto, L3 } from '../../decode/meta.js';
import { EcnOp } from '../rules/target-data.js';
import { protoCsumReplace2 } from './tcpoptstrip.js';

/** The codepoints of the ECN field (RFC 3168 section 5): the values `--ecn-ip-ect` writes. */
export const EcnCodepoint = { NOT_ECT: 0, ECT_1: 1, ECT_0: 2, CE: 3 } as const;

/** IPT_ECN_IP_MASK (~XT_DSCP_MASK): the ECN field of the TOS byte. */
const ECN_IP_MASK = 0x03;
const OP_SET_IP = EcnOp.SET_IP;
const OP_SET_ECE = EcnOp.SET_ECE;
const OP_SET_CWR = EcnOp.SET_CWR;
const TH_ECE = 0x40;
const TH_CWR = 0x80;
/** sizeof(struct tcphdr). */
const TCP_MIN = 20;
const CS_L4_PARTIAL = Csum.L4_PARTIAL;
const PROTO_TCP = IpProto.TCP;
const L3_IPV4 = L3.IPV4;

/** What ecnMangle decided. */
export const EcnResult = {
  /** XT_CONTINUE (whether or not a bit changed). */
  CONTINUE: 0,
  /** NF_DROP: a TCP operation on a packet without 20 bytes after the IP header. */
  DROP: -1,
} as const;

/**
 * ecn_tg on the IPv4 packet of `meta` (bytes in meta.data) with ipt_ECN_info's fields: `operation` (EcnOp
 * bits), `ipEct` (an EcnCodepoint), `ece` and `cwr` (0/1). Keeps meta.ipTos, ipCsum, tcpFlags and l4Csum
 * current. Returns an EcnResult. HOT.
 *
 * As in the kernel, the IP part comes first and cannot fail; the TCP part runs when the IP header says TCP,
 * whether or not this is the first fragment (ecn_tg has no fragment test: without defragmentation before
 * mangle, bytes 13 and 16-17 after a later fragment's IP header are rewritten as flags and checksum).
 */
// HOT: allocation-free
export function ecnMangle(meta: PacketMeta, operation: number, ipEct: number, ece: number, cwr: number): number {
  if (meta.l3 !== L3_IPV4) return EcnResult.CONTINUE;
  if ((operation & OP_SET_IP) !== 0) setEctIp(meta, ipEct);
  // by the IP header's protocol alone, as the kernel does: a later fragment's bytes are taken as a TCP header
  if ((operation & (OP_SET_ECE | OP_SET_CWR)) !== 0 && meta.ipProto === PROTO_TCP) return setEctTcp(meta, operation, ece, cwr);
  return EcnResult.CONTINUE;
}

/** set_ect_ip: the ECN bits of the TOS byte become `ipEct`, the header checksum follows. HOT. */
export function setEctIp(meta: PacketMeta, ipEct: number): void {
  const b = meta.data;
  const ip = meta.l3Off;
  const oldTos = b[ip + 1]!;
  if ((oldTos & ECN_IP_MASK) === (ipEct & ECN_IP_MASK)) return;
  const tos = (oldTos & ~ECN_IP_MASK) | (ipEct & ECN_IP_MASK);
  b[ip + 1] = tos;
  // csum_replace2(&iph->check, htons(oldtos), htons(iph->tos))
  const check = csumReplace2(be16(b, ip + 10), oldTos, tos);
  putBe16(b, ip + 10, check);
  meta.ipTos = tos;
  meta.ipCsum = check;
}

/**
 * set_ect_tcp: ECE and/or CWR of the flags byte take the given values. When every bit asked for already
 * holds, nothing is written (the kernel returns before skb_ensure_writable). HOT.
 */
function setEctTcp(meta: PacketMeta, operation: number, ece: number, cwr: number): number {
  const b = meta.data;
  const th = meta.l3Off + meta.ipHdrLen;
  // skb_header_pointer(skb, ip_hdrlen(skb), sizeof(_tcph)): not enough header is a drop
  if (meta.ipTotalLen - meta.ipHdrLen < TCP_MIN) return EcnResult.DROP;
  // bytes the capture does not hold cannot be read or rewritten here: the packet is left alone
  if (meta.frameOff + meta.caplen - th < TCP_MIN) return EcnResult.CONTINUE;
  const flags = b[th + 13]!;
  const setEce = (operation & OP_SET_ECE) !== 0;
  const setCwr = (operation & OP_SET_CWR) !== 0;
  if ((!setEce || ((flags & TH_ECE) !== 0 ? 1 : 0) === ece) && (!setCwr || ((flags & TH_CWR) !== 0 ? 1 : 0) === cwr)) return EcnResult.CONTINUE;

  const oldWord = be16(b, th + 12);
  let f = flags;
  if (setEce) f = ece !== 0 ? f | TH_ECE : f & ~TH_ECE;
  if (setCwr) f = cwr !== 0 ? f | TH_CWR : f & ~TH_CWR;
  b[th + 13] = f;
  let check = be16(b, th + 16);
  if ((meta.csum & CS_L4_PARTIAL) === 0) {
    check = protoCsumReplace2(check, oldWord, be16(b, th + 12));
    putBe16(b, th + 16, check);
  }
  if (meta.l4Off === th) {
    meta.tcpFlags = f;
    meta.l4Csum = check;
  }
  return EcnResult.CONTINUE;
}

// TCP decode into PacketMeta: the fixed header, then the options the datapath uses (MSS, window scale,
// SACK-permitted, timestamps) walked as the kernel's tcp_parse_options() does, and the checksum. A length
// that contradicts the segment is an event; malformed options are events too but decoding goes on.

import { viewOf } from './view.js';
import { TcpOff, TCP_MIN_HDR_LEN } from '../wire/tcp.js';
import { TcpOpt, TcpOptLen } from '../wire/constants.js';
import { DecodeEvent } from './events.js';
import { raiseEvent, type DecodeCounters } from './counters.js';
import { verifyL4, Verify } from './verify.js';
import { noTransport } from './reset.js';
import type { PacketMeta } from './meta.js';

// Module-local copies of the shared constants: V8 folds these into the code, property loads stay loads.
const MIN_HDR = TCP_MIN_HDR_LEN;
const O_SPORT = TcpOff.SPORT;
const O_DPORT = TcpOff.DPORT;
const O_SEQ = TcpOff.SEQ;
const O_ACK = TcpOff.ACK;
const O_DOFF = TcpOff.DOFF;
const O_FLAGS = TcpOff.FLAGS;
const O_WINDOW = TcpOff.WINDOW;
const O_CSUM = TcpOff.CSUM;
const OPT_EOL = TcpOpt.EOL;
const OPT_NOP = TcpOpt.NOP;
const OPT_MSS = TcpOpt.MSS;
const OPT_WINDOW = TcpOpt.WINDOW;
const OPT_SACK_PERM = TcpOpt.SACK_PERM;
const OPT_SACK = TcpOpt.SACK;
const OPT_TIMESTAMP = TcpOpt.TIMESTAMP;
const LEN_MSS = TcpOptLen.MSS;
const LEN_WINDOW = TcpOptLen.WINDOW;
const LEN_SACK_PERM = TcpOptLen.SACK_PERM;
const LEN_TIMESTAMP = TcpOptLen.TIMESTAMP;
const EV_OPT_LEN = DecodeEvent.TCP_OPT_INVALID_LEN;
const V_L4 = Verify.L4;
/** Header length and first option word of the NOP, NOP, TIMESTAMP layout (TCPOPT_NOP << 24 | ... | TCPOLEN_TIMESTAMP). */
const ALIGNED_TS_HDR = 32;
const ALIGNED_TS_WORD = 0x0101080a;

/**
 * Decode the TCP segment at `off` whose length per the IP header ends at `end`; bytes are captured up to
 * `capEnd` (<= end). `pseudo` is the pseudo-header sum without the length. Writes every transport field. HOT.
 */
export function decodeTcp(m: PacketMeta, c: DecodeCounters, off: number, end: number, capEnd: number, pseudo: number, fragmented: boolean, verify: number): void {
  const d = m.data;
  const dv = viewOf(d);
  const len = end - off;
  if (len < MIN_HDR) return segmentFailed(m, c, DecodeEvent.TCP_PKT_TOO_SMALL, off);
  if (capEnd - off < MIN_HDR) return segmentFailed(m, c, DecodeEvent.SNAPPED, off);
  const hlen = (d[off + O_DOFF]! >>> 4) << 2;
  m.l4Off = off;
  m.sport = dv.getUint16(off + O_SPORT);
  m.dport = dv.getUint16(off + O_DPORT);
  m.l4Csum = dv.getUint16(off + O_CSUM);
  m.tcpSeq = dv.getUint32(off + O_SEQ);
  m.tcpAck = dv.getUint32(off + O_ACK);
  m.tcpFlags = d[off + O_FLAGS]!;
  m.tcpHdrLen = hlen;
  m.tcpWindow = dv.getUint16(off + O_WINDOW);
  m.tcpMssOff = -1;
  m.tcpMss = 0;
  m.tcpWscale = -1;
  m.tcpSackPerm = 0;
  m.tcpTsOff = -1;
  m.tcpTsVal = 0;
  m.tcpTsEcr = 0;
  // clearIcmp() and clearInner(), written out (this is the per-packet path of most traffic)
  m.icmpType = 0;
  m.icmpCode = 0;
  m.icmpId = 0;
  m.icmpSeq = 0;
  m.innerL3Off = -1;
  m.innerIpHdrLen = 0;
  m.innerProto = 0;
  m.innerSaddr = 0;
  m.innerDaddr = 0;
  m.innerSport = 0;
  m.innerDport = 0;
  m.innerL4Off = -1;
  m.innerL4Avail = 0;
  // nf_conntrack_proto_tcp tcp_error(): doff * 4 < 20 or > segment length is a truncated packet (INVALID)
  if (hlen < MIN_HDR) return raiseEvent(m, c, DecodeEvent.TCP_HLEN_TOO_SMALL, off + O_DOFF);
  if (hlen > len) return raiseEvent(m, c, DecodeEvent.TCP_HLEN_PAST_END, off + O_DOFF);
  m.payloadOff = off + hlen;
  m.payloadLen = len - hlen;
  if (hlen > capEnd - off) raiseEvent(m, c, DecodeEvent.SNAPPED, capEnd);
  else if (hlen === ALIGNED_TS_HDR && dv.getUint32(off + MIN_HDR) === ALIGNED_TS_WORD) {
    // NOP NOP TIMESTAMP: the layout almost every established segment carries (tcp_parse_aligned_timestamp)
    m.tcpTsOff = off + MIN_HDR + 2;
    m.tcpTsVal = dv.getUint32(off + MIN_HDR + 4);
    m.tcpTsEcr = dv.getUint32(off + MIN_HDR + 8);
  } else if (hlen > MIN_HDR) parseOptions(m, c, off + MIN_HDR, off + hlen);
  if ((verify & V_L4) !== 0) verifyL4(m, c, off, len, capEnd, pseudo + len, fragmented);
}

/** No usable TCP header at `off`. HOT. */
function segmentFailed(m: PacketMeta, c: DecodeCounters, event: number, off: number): void {
  noTransport(m);
  raiseEvent(m, c, event, off);
}

/** Options in [start, end), walked as tcp_parse_options(): the first well-formed MSS, window scale and timestamps win. HOT. */
function parseOptions(m: PacketMeta, c: DecodeCounters, p: number, end: number): void {
  const d = m.data;
  const dv = viewOf(d);
  while (p < end) {
    const kind = d[p]!;
    if (kind === OPT_EOL) return;
    if (kind === OPT_NOP) {
      p++;
      continue;
    }
    // a kind without a length byte, a length below 2 or past the header end stops the walk
    if (p + 1 >= end) {
      raiseEvent(m, c, EV_OPT_LEN, p);
      return;
    }
    const olen = d[p + 1]!;
    if (olen < 2 || p + olen > end) {
      raiseEvent(m, c, EV_OPT_LEN, p);
      return;
    }
    if (kind === OPT_TIMESTAMP) {
      if (olen !== LEN_TIMESTAMP) raiseEvent(m, c, EV_OPT_LEN, p);
      else if (m.tcpTsOff < 0) {
        m.tcpTsOff = p;
        m.tcpTsVal = dv.getUint32(p + 2);
        m.tcpTsEcr = dv.getUint32(p + 6);
      }
    } else if (kind === OPT_MSS) {
      if (olen !== LEN_MSS) raiseEvent(m, c, EV_OPT_LEN, p);
      else if (m.tcpMssOff < 0) {
        m.tcpMssOff = p;
        m.tcpMss = dv.getUint16(p + 2);
      }
    } else if (kind === OPT_WINDOW) {
      if (olen !== LEN_WINDOW) raiseEvent(m, c, EV_OPT_LEN, p);
      else if (m.tcpWscale < 0) m.tcpWscale = d[p + 2]!;
    } else if (kind === OPT_SACK_PERM) {
      if (olen !== LEN_SACK_PERM) raiseEvent(m, c, EV_OPT_LEN, p);
      else m.tcpSackPerm = 1;
    } else if (kind === OPT_SACK) {
      // 2 + 8n bytes, n >= 1 (tcp_parse_options ignores other sizes)
      if (olen < 10 || ((olen - 2) & 7) !== 0) raiseEvent(m, c, EV_OPT_LEN, p);
    }
    p += olen;
  }
}

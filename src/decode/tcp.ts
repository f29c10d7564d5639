// TCP decode into PacketMeta: the fixed header, then the options the datapath uses (MSS, window scale,
// SACK-permitted, timestamps) walked as the kernel's tcp_parse_options() does, and the checksum. A length
// that contradicts the segment is an event; malformed options are events too but decoding goes on.

import { be16, be32 } from '../util/bytes.js';
import { TcpOff, TcpOptionWalker, TcpOptWalk, TCP_MIN_HDR_LEN } from '../wire/tcp.js';
import { TcpOpt, TcpOptLen } from '../wire/constants.js';
import { DecodeEvent } from './events.js';
import { raiseEvent, type DecodeCounters } from './counters.js';
import { verifyL4, Verify } from './verify.js';
import type { PacketMeta } from './meta.js';

const walker = new TcpOptionWalker();

/**
 * Decode the TCP segment at `off` whose length per the IP header ends at `end`; bytes are captured up to
 * `capEnd` (<= end). `pseudo` is the pseudo-header sum without the length. HOT.
 */
export function decodeTcp(m: PacketMeta, c: DecodeCounters, off: number, end: number, capEnd: number, pseudo: number, fragmented: boolean, verify: number): void {
  const d = m.data;
  const len = end - off;
  if (len < TCP_MIN_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.TCP_PKT_TOO_SMALL, off);
    return;
  }
  if (capEnd - off < TCP_MIN_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, off);
    return;
  }
  m.l4Off = off;
  m.sport = be16(d, off + TcpOff.SPORT);
  m.dport = be16(d, off + TcpOff.DPORT);
  m.tcpSeq = be32(d, off + TcpOff.SEQ);
  m.tcpAck = be32(d, off + TcpOff.ACK);
  m.tcpFlags = d[off + TcpOff.FLAGS]!;
  m.tcpWindow = be16(d, off + TcpOff.WINDOW);
  m.l4Csum = be16(d, off + TcpOff.CSUM);
  const hlen = (d[off + TcpOff.DOFF]! >>> 4) << 2;
  m.tcpHdrLen = hlen;
  // nf_conntrack_proto_tcp tcp_error(): doff * 4 < 20 or > segment length is a truncated packet (INVALID)
  if (hlen < TCP_MIN_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.TCP_HLEN_TOO_SMALL, off + TcpOff.DOFF);
    return;
  }
  if (hlen > len) {
    raiseEvent(m, c, DecodeEvent.TCP_HLEN_PAST_END, off + TcpOff.DOFF);
    return;
  }
  m.payloadOff = off + hlen;
  m.payloadLen = len - hlen;
  if (hlen > capEnd - off) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, capEnd);
    if ((verify & Verify.L4) !== 0) verifyL4(m, c, off, len, capEnd, pseudo + len, fragmented);
    return;
  }
  if (hlen > TCP_MIN_HDR_LEN) parseOptions(m, c, off + TCP_MIN_HDR_LEN, off + hlen);
  if ((verify & Verify.L4) !== 0) verifyL4(m, c, off, len, capEnd, pseudo + len, fragmented);
}

/** Options in [start, end): the first well-formed MSS, window scale, SACK-permitted and timestamps win. HOT. */
function parseOptions(m: PacketMeta, c: DecodeCounters, start: number, end: number): void {
  const d = m.data;
  const w = walker.reset(d, start, end);
  for (;;) {
    const kind = w.next();
    if (kind === TcpOptWalk.END) return;
    if (kind === TcpOptWalk.MALFORMED) {
      raiseEvent(m, c, DecodeEvent.TCP_OPT_INVALID_LEN, w.at);
      return;
    }
    const at = w.at;
    const olen = w.len;
    if (kind === TcpOpt.MSS) {
      if (olen !== TcpOptLen.MSS) raiseEvent(m, c, DecodeEvent.TCP_OPT_INVALID_LEN, at);
      else if (m.tcpMssOff < 0) {
        m.tcpMssOff = at;
        m.tcpMss = be16(d, at + 2);
      }
    } else if (kind === TcpOpt.WINDOW) {
      if (olen !== TcpOptLen.WINDOW) raiseEvent(m, c, DecodeEvent.TCP_OPT_INVALID_LEN, at);
      else if (m.tcpWscale < 0) m.tcpWscale = d[at + 2]!;
    } else if (kind === TcpOpt.SACK_PERM) {
      if (olen !== TcpOptLen.SACK_PERM) raiseEvent(m, c, DecodeEvent.TCP_OPT_INVALID_LEN, at);
      else m.tcpSackPerm = 1;
    } else if (kind === TcpOpt.TIMESTAMP) {
      if (olen !== TcpOptLen.TIMESTAMP) raiseEvent(m, c, DecodeEvent.TCP_OPT_INVALID_LEN, at);
      else if (m.tcpTsOff < 0) {
        m.tcpTsOff = at;
        m.tcpTsVal = be32(d, at + 2);
        m.tcpTsEcr = be32(d, at + 6);
      }
    } else if (kind === TcpOpt.SACK) {
      // 2 + 8n bytes, n >= 1 (tcp_parse_options ignores other sizes)
      if (olen < 10 || ((olen - 2) & 7) !== 0) raiseEvent(m, c, DecodeEvent.TCP_OPT_INVALID_LEN, at);
    }
  }
}

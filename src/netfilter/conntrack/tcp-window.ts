// TCP window tracking of the TCP tracker: tcp_in_window, tcp_init_sender and nf_tcp_handle_invalid of
// nf_conntrack_proto_tcp.c (6.12+), on the seen[2] blocks of an entry version in the V array. Sequence
// numbers are unsigned 32-bit, stored as int32 and compared with before()/after() modulo 2^32.

import type { PacketMeta } from '../../decode/meta.js';
import { TcpFlag } from '../../decode/meta.js';
import { TcpState } from './api.js';
import {
  SEEN_END,
  SEEN_FLAGS,
  SEEN_MAXACK,
  SEEN_MAXEND,
  SEEN_MAXWIN,
  SEEN_SCALE,
  SEEN_STRIDE,
  TcpFlagBit,
  V_LAST_ACK,
  V_LAST_DIR,
  V_LAST_END,
  V_LAST_INDEX,
  V_LAST_SEQ,
  V_LAST_WIN,
  V_RETRANS,
  V_SEEN,
  V_STATUS,
  V_TCP_STATE,
} from './layout.js';
import { seqAfter, seqBefore, tcpOptions, tcpSack } from './tcp-options.js';
import { CtStatus } from '../skb.js';

/** enum tcp_bit_set: the flag class that indexes tcp_conntracks. */
export const TcpIndex = { SYN: 0, SYNACK: 1, FIN: 2, ACK: 3, RST: 4, NONE: 5 } as const;

/** enum nf_ct_tcp_action. */
export const WinAction = { IGNORE: 0, INVALID: 1, ACCEPT: 2 } as const;

const MAXACKWINCONST = 66000;

/** get_conntrack_index. HOT. */
export function tcpIndex(flags: number): number {
  if ((flags & TcpFlag.RST) !== 0) return TcpIndex.RST;
  if ((flags & TcpFlag.SYN) !== 0) return (flags & TcpFlag.ACK) !== 0 ? TcpIndex.SYNACK : TcpIndex.SYN;
  if ((flags & TcpFlag.FIN) !== 0) return TcpIndex.FIN;
  if ((flags & TcpFlag.ACK) !== 0) return TcpIndex.ACK;
  return TcpIndex.NONE;
}

/** segment_seq_plus_len: seq + payload length + SYN + FIN, modulo 2^32. HOT. */
export function segmentEnd(m: PacketMeta): number {
  const flags = m.tcpFlags;
  const payload = m.l4Len - m.tcpHdrLen;
  return (m.tcpSeq + payload + ((flags & TcpFlag.SYN) !== 0 ? 1 : 0) + ((flags & TcpFlag.FIN) !== 0 ? 1 : 0)) >>> 0;
}

/** u32 read of a seen[] field. */
function u(V: Int32Array, i: number): number {
  return V[i]! >>> 0;
}

/** tcp_init_sender: (re)initialise the sender from a SYN or SYN/ACK. HOT. */
function tcpInitSender(V: Int32Array, sb: number, rb: number, m: PacketMeta, end: number, win: number, dir: number): void {
  V[sb + SEEN_END] = end | 0;
  V[sb + SEEN_MAXEND] = end | 0;
  V[sb + SEEN_MAXWIN] = win === 0 ? 1 : win;
  tcpOptions(m, V, sb);
  // RFC 1323: both sides must send the Window Scale option to enable window scaling in either direction
  if (dir === 1 && !((V[sb + SEEN_FLAGS]! & TcpFlagBit.WINDOW_SCALE) !== 0 && (V[rb + SEEN_FLAGS]! & TcpFlagBit.WINDOW_SCALE) !== 0)) {
    V[sb + SEEN_SCALE] = 0;
    V[rb + SEEN_SCALE] = 0;
  }
}

/** nf_tcp_log_invalid: a liberal sender (or be_liberal) turns any complaint into ACCEPT. HOT. */
function complain(V: Int32Array, sb: number, beLiberal: boolean, ret: number): number {
  if (beLiberal || (V[sb + SEEN_FLAGS]! & TcpFlagBit.BE_LIBERAL) !== 0) return WinAction.ACCEPT;
  return ret;
}

/**
 * tcp_in_window on the version at `vb`: checks the segment against the tracked windows and updates them.
 * Returns WinAction.*. HOT.
 */
export function tcpInWindow(V: Int32Array, vb: number, dir: number, index: number, m: PacketMeta, beLiberal: boolean): number {
  const sb = vb + V_SEEN + dir * SEEN_STRIDE;
  const rb = vb + V_SEEN + (1 - dir) * SEEN_STRIDE;
  const flags = m.tcpFlags;
  const syn = (flags & TcpFlag.SYN) !== 0;
  const hasAck = (flags & TcpFlag.ACK) !== 0;
  let seq = m.tcpSeq >>> 0;
  let ack = m.tcpAck >>> 0;
  let sack = ack;
  const winRaw = m.tcpWindow;
  let win = winRaw;
  let end = segmentEnd(m);
  const state = V[vb + V_TCP_STATE]!;

  if ((V[rb + SEEN_FLAGS]! & TcpFlagBit.SACK_PERM) !== 0) sack = tcpSack(m, sack);

  if (V[sb + SEEN_MAXWIN] === 0) {
    // initialise sender data
    if (syn) {
      tcpInitSender(V, sb, rb, m, end, win, dir);
      if (!hasAck) return WinAction.ACCEPT; // simultaneous open
    } else {
      // mid-connection: its history is lost for us, use the data from the packet
      V[sb + SEEN_END] = end | 0;
      const swin = (win << V[sb + SEEN_SCALE]!) >>> 0;
      const maxwin = swin === 0 ? 1 : swin;
      V[sb + SEEN_MAXWIN] = maxwin | 0;
      V[sb + SEEN_MAXEND] = (end + maxwin) | 0;
      if (V[rb + SEEN_MAXWIN] === 0) {
        // no traffic the other way yet: let III and IV pass until there is
        V[rb + SEEN_END] = sack | 0;
        V[rb + SEEN_MAXEND] = sack | 0;
      } else if (sack === ((u(V, rb + SEEN_END) + 1) >>> 0)) {
        V[rb + SEEN_END] = (V[rb + SEEN_END]! + 1) | 0; // likely a reply to a keepalive
      }
    }
  } else if (syn && seqAfter(end, u(V, sb + SEEN_END)) && (state === TcpState.SYN_SENT || state === TcpState.SYN_RECV)) {
    // RFC 793: a reinitialised TCP uses larger sequence numbers; re-init this direction
    tcpInitSender(V, sb, rb, m, end, win, dir);
    if (dir === 1 && !hasAck) return WinAction.ACCEPT;
  }

  if (!hasAck) {
    ack = sack = u(V, rb + SEEN_END); // pretend it was set and OK
  } else if ((flags & (TcpFlag.ACK | TcpFlag.RST)) === (TcpFlag.ACK | TcpFlag.RST) && ack === 0) {
    ack = sack = u(V, rb + SEEN_END); // broken stacks: RST|ACK with zero ack
  }

  if ((flags & TcpFlag.RST) !== 0 && seq === 0 && state === TcpState.SYN_SENT) {
    seq = end = u(V, sb + SEEN_END); // RST answering a SYN
  }

  const sMaxwin = u(V, sb + SEEN_MAXWIN);
  const maxAckWin = sMaxwin > MAXACKWINCONST ? sMaxwin : MAXACKWINCONST;
  const rEnd = u(V, rb + SEEN_END);
  const rMaxwin = u(V, rb + SEEN_MAXWIN);
  const sEnd = u(V, sb + SEEN_END);
  const sMaxend = u(V, sb + SEEN_MAXEND);

  if (!seqBefore(seq, (sMaxend + 1) >>> 0)) {
    const overshot = (end - sMaxend + 1) >>> 0;
    const ackOk = seqAfter(sack, (rEnd - maxAckWin - 1) >>> 0);
    const inRecvWin = rMaxwin !== 0 && seqAfter(end, (sEnd - rMaxwin - 1) >>> 0);
    if (inRecvWin && ackOk && overshot <= rMaxwin && seqBefore(sack, (rEnd + 1) >>> 0)) {
      // TCPs sending more than the receive window allows: track the data so its ACK is accepted
      V[sb + SEEN_END] = end | 0;
      V[sb + SEEN_FLAGS] = V[sb + SEEN_FLAGS]! | TcpFlagBit.DATA_UNACKNOWLEDGED;
      return complain(V, sb, beLiberal, WinAction.IGNORE);
    }
    return complain(V, sb, beLiberal, WinAction.INVALID); // SEQ is over upper bound
  }

  if (!seqBefore(sack, (rEnd + 1) >>> 0)) return complain(V, sb, beLiberal, WinAction.INVALID); // ACK over upper bound

  const inRecvWin = rMaxwin === 0 || seqAfter(end, (sEnd - rMaxwin - 1) >>> 0);
  if (!inRecvWin) return complain(V, sb, beLiberal, WinAction.IGNORE); // SEQ under lower bound
  if (!seqAfter(sack, (rEnd - maxAckWin - 1) >>> 0)) return complain(V, sb, beLiberal, WinAction.IGNORE); // ACK under lower bound

  // window scaling (RFC 1323)
  if (!syn) win = (win << V[sb + SEEN_SCALE]!) >>> 0;

  // update sender data
  const swin = (win + (sack - ack)) >>> 0;
  if (sMaxwin < swin) V[sb + SEEN_MAXWIN] = swin | 0;
  if (seqAfter(end, sEnd)) {
    V[sb + SEEN_END] = end | 0;
    V[sb + SEEN_FLAGS] = V[sb + SEEN_FLAGS]! | TcpFlagBit.DATA_UNACKNOWLEDGED;
  }
  if (hasAck) {
    if ((V[sb + SEEN_FLAGS]! & TcpFlagBit.MAXACK_SET) === 0) {
      V[sb + SEEN_MAXACK] = ack | 0;
      V[sb + SEEN_FLAGS] = V[sb + SEEN_FLAGS]! | TcpFlagBit.MAXACK_SET;
    } else if (seqAfter(ack, u(V, sb + SEEN_MAXACK))) {
      V[sb + SEEN_MAXACK] = ack | 0;
    }
  }

  // update receiver data
  if (V[rb + SEEN_MAXWIN] !== 0 && seqAfter(end, sMaxend)) V[rb + SEEN_MAXWIN] = (V[rb + SEEN_MAXWIN]! + (end - sMaxend)) | 0;
  if (seqAfter((sack + win) >>> 0, (u(V, rb + SEEN_MAXEND) - 1) >>> 0)) {
    V[rb + SEEN_MAXEND] = (sack + win) | 0;
    if (win === 0) V[rb + SEEN_MAXEND] = (V[rb + SEEN_MAXEND]! + 1) | 0;
  }
  if (ack === u(V, rb + SEEN_END)) V[rb + SEEN_FLAGS] = V[rb + SEEN_FLAGS]! & ~TcpFlagBit.DATA_UNACKNOWLEDGED;

  // check retransmissions
  if (index === TcpIndex.ACK) {
    if (
      V[vb + V_LAST_DIR] === dir &&
      u(V, vb + V_LAST_SEQ) === seq &&
      u(V, vb + V_LAST_ACK) === ack &&
      u(V, vb + V_LAST_END) === end &&
      V[vb + V_LAST_WIN] === winRaw
    ) {
      V[vb + V_RETRANS] = (V[vb + V_RETRANS]! + 1) & 0xff;
    } else {
      V[vb + V_LAST_DIR] = dir;
      V[vb + V_LAST_SEQ] = seq | 0;
      V[vb + V_LAST_ACK] = ack | 0;
      V[vb + V_LAST_END] = end | 0;
      V[vb + V_LAST_WIN] = winRaw;
      V[vb + V_RETRANS] = 0;
    }
  }
  return WinAction.ACCEPT;
}

/**
 * nf_tcp_handle_invalid: an out-of-window FIN/RST on an ASSURED entry answering the peer's FIN/RST lowers
 * a long timeout to the UNACK one. Returns the new absolute deadline, or -1 for no change. HOT.
 */
export function tcpHandleInvalid(V: Int32Array, vb: number, dir: number, index: number, deadline: number, now: number, unackNs: number): number {
  const status = V[vb + V_STATUS]!;
  if ((status & CtStatus.ASSURED) === 0 || (status & CtStatus.FIXED_TIMEOUT) !== 0) return -1;
  if (index !== TcpIndex.RST && index !== TcpIndex.FIN) return -1;
  const lastIndex = V[vb + V_LAST_INDEX]!;
  if (V[vb + V_LAST_DIR] !== dir && (lastIndex === TcpIndex.FIN || lastIndex === TcpIndex.RST)) {
    const expires = Math.max(deadline - now, 0);
    if (expires < 120e9) return -1;
    if (expires > unackNs) return now + unackNs;
    return -1;
  }
  V[vb + V_LAST_INDEX] = index;
  V[vb + V_LAST_DIR] = dir;
  return -1;
}

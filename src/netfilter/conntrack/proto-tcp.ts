// The TCP tracker: tcp_error, tcp_new and nf_conntrack_tcp_packet of nf_conntrack_proto_tcp.c (6.12+):
// the tcp_conntracks[dir][flag class][state] table, the ignore/reopen/RST special cases, window tracking
// (tcp-window.ts), timeout selection with the RETRANS/UNACK caps, ASSURED, and unreplied-RST kills.

import type { PacketMeta } from '../../decode/meta.js';
import { Csum, TcpFlag } from '../../decode/meta.js';
import { CtStatus, Hook } from '../skb.js';
import type { Skb } from '../skb.js';
import { TcpState } from './api.js';
import { TCP_TIMEOUT_RETRANS, TCP_TIMEOUT_UNACK } from './config.js';
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
  V_LAST_FLAGS,
  V_LAST_INDEX,
  V_LAST_SEQ,
  V_LAST_WIN,
  V_LAST_WSCALE,
  V_RETRANS,
  V_SEEN,
  V_STATUS,
  V_STRIDE,
  V_TCP_STATE,
  VF_DEADLINE,
  VF_STRIDE,
} from './layout.js';
import { seqBefore, tcpOptions, tcpOptionsFresh } from './tcp-options.js';
import { TcpIndex, WinAction, segmentEnd, tcpHandleInvalid, tcpInWindow, tcpIndex } from './tcp-window.js';
import type { TrackerHost } from './tracker.js';
import { TrackRet } from './tracker.js';

const sNO = TcpState.NONE;
const sSS = TcpState.SYN_SENT;
const sSR = TcpState.SYN_RECV;
const sES = TcpState.ESTABLISHED;
const sFW = TcpState.FIN_WAIT;
const sCW = TcpState.CLOSE_WAIT;
const sLA = TcpState.LAST_ACK;
const sTW = TcpState.TIME_WAIT;
const sCL = TcpState.CLOSE;
const sS2 = TcpState.SYN_SENT2;
/** TCP_CONNTRACK_MAX (invalid) and TCP_CONNTRACK_IGNORE. */
const sIV = 10;
const sIG = 11;

/** tcp_conntracks[dir][index][state], flattened: (dir * 6 + index) * 10 + state. */
// prettier-ignore
const TCP_CONNTRACKS = new Uint8Array([
  // ORIGINAL  sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /* syn    */ sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2,
  /* synack */ sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR,
  /* fin    */ sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV,
  /* ack    */ sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV,
  /* rst    */ sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL,
  /* none   */ sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV,
  // REPLY
  /* syn    */ sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2,
  /* synack */ sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR,
  /* fin    */ sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV,
  /* ack    */ sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG,
  /* rst    */ sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL,
  /* none   */ sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV,
]);

/** The transition for a packet of flag class `index` in direction `dir` from `state`. */
export function tcpTransition(dir: number, index: number, state: number): number {
  return TCP_CONNTRACKS[(dir * 6 + index) * 10 + state]!;
}

/** tcp_valid_flags over flags & ~(ECE|CWR|PSH): SYN, SYN|URG, SYN|ACK, RST, RST|ACK, FIN|ACK(|URG), ACK(|URG). */
const TCP_VALID_FLAGS = new Uint8Array(0x40);
for (const f of [0x02, 0x22, 0x12, 0x04, 0x14, 0x11, 0x31, 0x10, 0x30]) TCP_VALID_FLAGS[f] = 1;

/**
 * tcp_error: truncated header, bad checksum (PRE_ROUTING with nf_conntrack_checksum), invalid flag
 * combination. True when the packet must not be tracked. HOT.
 */
export function tcpError(m: PacketMeta, hook: number, checksum: boolean): boolean {
  if (m.tcpHdrLen < 20 || m.l4Len < m.tcpHdrLen) return true;
  if (checksum && hook === Hook.PRE_ROUTING && (m.csum & Csum.L4_BAD) !== 0) return true;
  const f = m.tcpFlags & ~(TcpFlag.ECE | TcpFlag.CWR | TcpFlag.PSH) & 0x3f;
  return TCP_VALID_FLAGS[f] === 0;
}

/** tcp_new on the unconfirmed entry's version at `vb`: false when this packet cannot start a connection. HOT. */
function tcpNew(V: Int32Array, vb: number, m: PacketMeta, loose: boolean): boolean {
  const newState = tcpTransition(0, tcpIndex(m.tcpFlags), TcpState.NONE);
  if (newState >= sIV) return false;
  if (newState !== TcpState.SYN_SENT && !loose) return false; // don't pick up connections
  V.fill(0, vb + V_TCP_STATE, vb + V_LAST_FLAGS + 1); // memset(&ct->proto.tcp, 0, ...)
  const s0 = vb + V_SEEN;
  const end = segmentEnd(m);
  const win = m.tcpWindow === 0 ? 1 : m.tcpWindow;
  V[s0 + SEEN_END] = end | 0;
  V[s0 + SEEN_MAXWIN] = win;
  if (newState === TcpState.SYN_SENT) {
    V[s0 + SEEN_MAXEND] = end | 0;
    tcpOptions(m, V, s0);
  } else {
    // mid-connection pickup: assume SACK and be liberal to cope with unknown window scaling
    V[s0 + SEEN_MAXEND] = (end + win) | 0;
    V[s0 + SEEN_FLAGS] = TcpFlagBit.SACK_PERM | TcpFlagBit.BE_LIBERAL;
    V[s0 + SEEN_STRIDE + SEEN_FLAGS] = TcpFlagBit.SACK_PERM | TcpFlagBit.BE_LIBERAL;
  }
  V[vb + V_LAST_INDEX] = TcpIndex.NONE;
  return true;
}

/** tcp_can_early_drop: closing states. */
export function tcpCanEarlyDrop(state: number): boolean {
  return state === sFW || state === sLA || state === sTW || state === sCL || state === sCW;
}

/** nf_conntrack_tcp_established. */
function established(state: number, status: number): boolean {
  return state === sES && (status & CtStatus.ASSURED) !== 0;
}

const RST_CHECK_WINDOW = 0;
const RST_SKIP_WINDOW = 1;
const RST_INVALID = 2;
const RST_KEEP_STATE = 3;
const RST_KEEP_STATE_SKIP = 4;

/** The TCP_CONNTRACK_CLOSE + RST case of nf_conntrack_tcp_packet. HOT. */
function rstChecks(V: Int32Array, vb: number, dir: number, oldState: number, seq: number, ackSeq: number, ignoreInvalidRst: boolean): number {
  // closing: the tuple may have been reused already, skip the checks
  if (tcpCanEarlyDrop(oldState)) return RST_SKIP_WINDOW;
  const status = V[vb + V_STATUS]!;
  const rb = vb + V_SEEN + (1 - dir) * SEEN_STRIDE;
  const lastIndex = V[vb + V_LAST_INDEX]!;
  let keep = false;
  // td_maxack may be outdated if we let a SYN through earlier
  if ((V[rb + SEEN_FLAGS]! & TcpFlagBit.MAXACK_SET) !== 0 && lastIndex !== TcpIndex.SYN) {
    const est = established(oldState, status);
    const maxack = V[rb + SEEN_MAXACK]! >>> 0;
    if (seq === 0 && !est) return RST_CHECK_WINDOW; // answer to a SYN we let through
    if (seqBefore(seq, maxack) && !ignoreInvalidRst) return RST_INVALID; // invalid rst
    if (!est || seq === maxack) return RST_CHECK_WINDOW;
    // part of a train (data, then a RST at its end)?
    if (lastIndex === TcpIndex.ACK && V[vb + V_LAST_DIR] === dir && seq === V[vb + V_LAST_END]! >>> 0) return RST_CHECK_WINDOW;
    keep = true; // keep ESTABLISHED to allow a challenge ACK
  }
  if (
    (((status & CtStatus.SEEN_REPLY) !== 0 && lastIndex === TcpIndex.SYN) || ((status & CtStatus.ASSURED) === 0 && lastIndex === TcpIndex.ACK)) &&
    ackSeq === V[vb + V_LAST_END]! >>> 0
  ) {
    return keep ? RST_KEEP_STATE_SKIP : RST_SKIP_WINDOW; // RST answering a SYN or ACK we let through
  }
  // reset answering a challenge ACK we let through earlier
  if (oldState === sSS && lastIndex === TcpIndex.ACK && V[vb + V_LAST_DIR] === 1 && seq === V[vb + V_LAST_ACK]! >>> 0) {
    return keep ? RST_KEEP_STATE_SKIP : RST_SKIP_WINDOW;
  }
  return keep ? RST_KEEP_STATE : RST_CHECK_WINDOW;
}

/**
 * nf_conntrack_tcp_packet for entry `ct`, tracking on version `slot` (the entry itself, or a private copy
 * of the version this packet sees), for packet `skb` in direction `dir`. Returns a TrackRet. HOT.
 */
export function tcpPacket(h: TrackerHost, ct: number, slot: number, skb: Skb, dir: number, hook: number): number {
  const m = skb.meta;
  const cfg = h.cfg;
  const V = h.V;
  const vb = slot * V_STRIDE;
  if (m.l4Off < 0 || m.l4Len < 20) return TrackRet.INVALID;
  if (tcpError(m, hook, cfg.checksum)) return TrackRet.INVALID;
  if (!h.isConfirmed(ct) && !tcpNew(V, vb, m, cfg.tcpLoose)) return TrackRet.INVALID;

  let oldState = V[vb + V_TCP_STATE]!;
  const index = tcpIndex(m.tcpFlags);
  let newState = tcpTransition(dir, index, oldState);
  const seq = m.tcpSeq >>> 0;
  const ackSeq = m.tcpAck >>> 0;
  let skipWindow = false;

  let ignore = newState === sIG;
  if (newState === sSS && oldState >= sTW) {
    // RFC 1122 reopening from TIME_WAIT/CLOSE, or a client aborting and starting over: kill and retry
    if (
      ((V[vb + V_SEEN + dir * SEEN_STRIDE + SEEN_FLAGS]! | V[vb + V_SEEN + (1 - dir) * SEEN_STRIDE + SEEN_FLAGS]!) & TcpFlagBit.CLOSE_INIT) !== 0 ||
      (V[vb + V_LAST_DIR] === dir && V[vb + V_LAST_INDEX] === TcpIndex.RST)
    ) {
      return h.kill(ct, skb) ? TrackRet.REPEAT : TrackRet.DROP;
    }
    ignore = true;
  }

  if (ignore) {
    const lastDir = V[vb + V_LAST_DIR]!;
    if (index === TcpIndex.SYNACK && V[vb + V_LAST_INDEX] === TcpIndex.SYN && lastDir !== dir && ackSeq === V[vb + V_LAST_END]! >>> 0) {
      // b) the SYN/ACK answers a SYN we ignored: client and server are in sync, we get in sync too
      oldState = sSS;
      newState = sSR;
      const lb = vb + V_SEEN + lastDir * SEEN_STRIDE;
      V[lb + SEEN_END] = V[vb + V_LAST_END]!;
      V[lb + SEEN_MAXEND] = V[vb + V_LAST_END]!;
      V[lb + SEEN_MAXWIN] = V[vb + V_LAST_WIN] === 0 ? 1 : V[vb + V_LAST_WIN]!;
      V[lb + SEEN_SCALE] = V[vb + V_LAST_WSCALE]!;
      V[vb + V_LAST_FLAGS] = V[vb + V_LAST_FLAGS]! & ~TcpFlagBit.EXP_CHALLENGE_ACK;
      V[lb + SEEN_FLAGS] = V[vb + V_LAST_FLAGS]!;
      const db = vb + V_SEEN + dir * SEEN_STRIDE; // nf_ct_tcp_state_reset
      V[db + SEEN_END] = 0;
      V[db + SEEN_MAXEND] = 0;
      V[db + SEEN_MAXWIN] = 0;
      V[db + SEEN_MAXACK] = 0;
      V[db + SEEN_SCALE] = 0;
      V[db + SEEN_FLAGS] = V[db + SEEN_FLAGS]! & TcpFlagBit.BE_LIBERAL;
    } else {
      V[vb + V_LAST_INDEX] = index;
      V[vb + V_LAST_DIR] = dir;
      V[vb + V_LAST_SEQ] = seq | 0;
      V[vb + V_LAST_END] = segmentEnd(m) | 0;
      V[vb + V_LAST_WIN] = m.tcpWindow;
      // a) a SYN in ORIGINAL: note its options; the answer (SYN/ACK or challenge ACK) gets us in sync
      if (index === TcpIndex.SYN && dir === 0) {
        const o = tcpOptionsFresh(m);
        V[vb + V_LAST_FLAGS] = o & (TcpFlagBit.WINDOW_SCALE | TcpFlagBit.SACK_PERM);
        V[vb + V_LAST_WSCALE] = (o & TcpFlagBit.WINDOW_SCALE) !== 0 ? o >>> 8 : 0;
        if (oldState === sLA) V[vb + V_LAST_FLAGS] = V[vb + V_LAST_FLAGS]! | TcpFlagBit.EXP_CHALLENGE_ACK;
      }
      // possible challenge ACK answering a SYN
      if (oldState === sSS && index === TcpIndex.ACK && dir === 1) V[vb + V_LAST_ACK] = ackSeq | 0;
      return TrackRet.ACCEPT;
    }
  } else if (newState === sIV) {
    return TrackRet.INVALID;
  } else if (newState === sTW) {
    // RFC 5961 challenge ACK after a SYN in LAST_ACK must not be taken for the last ACK
    if (
      oldState === sLA &&
      index === TcpIndex.ACK &&
      V[vb + V_LAST_DIR] !== dir &&
      V[vb + V_LAST_INDEX] === TcpIndex.SYN &&
      (V[vb + V_LAST_FLAGS]! & TcpFlagBit.EXP_CHALLENGE_ACK) !== 0
    ) {
      V[vb + V_LAST_FLAGS] = V[vb + V_LAST_FLAGS]! & ~TcpFlagBit.EXP_CHALLENGE_ACK;
      return TrackRet.ACCEPT;
    }
  } else if (newState === sS2) {
    V[vb + V_LAST_FLAGS] = V[vb + V_LAST_FLAGS]! | TcpFlagBit.SIMULTANEOUS_OPEN;
  } else if (newState === sSR) {
    if (dir === 1 && index === TcpIndex.ACK && (V[vb + V_LAST_FLAGS]! & TcpFlagBit.SIMULTANEOUS_OPEN) !== 0) newState = sES;
  } else if (newState === sCL && index === TcpIndex.RST) {
    const r = rstChecks(V, vb, dir, oldState, seq, ackSeq, cfg.tcpIgnoreInvalidRst);
    if (r === RST_INVALID) return TrackRet.INVALID;
    if (r === RST_SKIP_WINDOW || r === RST_KEEP_STATE_SKIP) skipWindow = true;
    if (r === RST_KEEP_STATE || r === RST_KEEP_STATE_SKIP) newState = oldState;
  }

  if (!skipWindow) {
    const res = tcpInWindow(V, vb, dir, index, m, cfg.tcpBeLiberal);
    if (res === WinAction.IGNORE) return TrackRet.ACCEPT;
    if (res === WinAction.INVALID) {
      const vf = slot * VF_STRIDE + VF_DEADLINE;
      if (h.isConfirmed(ct)) {
        const d = tcpHandleInvalid(V, vb, dir, index, h.VF[vf]!, skb.nowNs, cfg.tcpTimeouts[TCP_TIMEOUT_UNACK]!);
        if (d >= 0) h.VF[vf] = d;
      }
      return TrackRet.INVALID;
    }
  }

  // from now on we have in-window packets
  V[vb + V_LAST_INDEX] = index;
  V[vb + V_LAST_DIR] = dir;
  V[vb + V_TCP_STATE] = newState;
  if (oldState !== newState && newState === sFW) {
    const sb = vb + V_SEEN + dir * SEEN_STRIDE + SEEN_FLAGS;
    V[sb] = V[sb]! | TcpFlagBit.CLOSE_INIT;
  }

  const t = cfg.tcpTimeouts;
  let timeout: number;
  if (V[vb + V_RETRANS]! >= cfg.tcpMaxRetrans && t[newState]! > t[TCP_TIMEOUT_RETRANS]!) timeout = t[TCP_TIMEOUT_RETRANS]!;
  else if (index === TcpIndex.RST) timeout = t[sCL]!;
  else if (
    ((V[vb + V_SEEN + SEEN_FLAGS]! | V[vb + V_SEEN + SEEN_STRIDE + SEEN_FLAGS]!) & TcpFlagBit.DATA_UNACKNOWLEDGED) !== 0 &&
    t[newState]! > t[TCP_TIMEOUT_UNACK]!
  ) {
    timeout = t[TCP_TIMEOUT_UNACK]!;
  } else if (V[vb + V_LAST_WIN] === 0 && t[newState]! > t[TCP_TIMEOUT_RETRANS]!) timeout = t[TCP_TIMEOUT_RETRANS]!;
  else timeout = t[newState]!;

  const status = V[vb + V_STATUS]!;
  if ((status & CtStatus.SEEN_REPLY) === 0) {
    // only reply is a RST: not an established connection, delete the entry at once
    if ((m.tcpFlags & TcpFlag.RST) !== 0) {
      h.killAcct(ct, dir, skb);
      return TrackRet.ACCEPT;
    }
    // do not renew the timeout on SYN retransmits (port reuse could keep the entry alive forever)
    if (index === TcpIndex.SYN && oldState === sSS) return TrackRet.ACCEPT;
    // mid-connection pickup: avoid the large ESTABLISHED timeout
    if (newState === sES && timeout > t[TCP_TIMEOUT_UNACK]!) timeout = t[TCP_TIMEOUT_UNACK]!;
  } else if ((status & CtStatus.ASSURED) === 0 && (oldState === sSR || oldState === sES) && newState === sES) {
    V[vb + V_STATUS] = status | CtStatus.ASSURED; // valid ACK after SYN_RECV, or an answer to a pickup
  }
  h.refreshAcct(ct, slot, dir, skb, timeout);
  return TrackRet.ACCEPT;
}

/** nf_conntrack_tcp_set_closing on the version at `vb`: the new absolute deadline, or -1 for none. */
export function tcpSetClosing(V: Int32Array, vb: number, now: number, closeNs: number): number {
  const old = V[vb + V_TCP_STATE]!;
  V[vb + V_TCP_STATE] = sCL;
  if (old === sCL || (V[vb + V_STATUS]! & CtStatus.FIXED_TIMEOUT) !== 0) return -1;
  return now + closeNs;
}

export { sNO as TCP_NONE };

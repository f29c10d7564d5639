// TCP option walkers of the TCP tracker, byte for byte as nf_conntrack_proto_tcp.c: tcp_options (window
// scale and SACK-permitted into a seen[] state) and tcp_sack (highest SACK right edge). They stop at the
// same malformed options the kernel stops at. Option bytes not present in the capture count as absent.

import type { PacketMeta } from '../../decode/meta.js';
import { be32 } from '../../util/bytes.js';
import { SEEN_FLAGS, SEEN_SCALE, TcpFlagBit } from './layout.js';

const TCPOPT_EOL = 0;
const TCPOPT_NOP = 1;
const TCPOPT_WINDOW = 3;
const TCPOPT_SACK_PERM = 4;
const TCPOPT_SACK = 5;
const TCPOPT_TIMESTAMP = 8;
const TCP_MAX_WSCALE = 14;

/** Offset of the first option byte, or -1 when the header has no options or they were not captured. HOT. */
function optionsStart(m: PacketMeta): number {
  const len = m.tcpHdrLen - 20;
  if (len <= 0 || m.l4Off < 0) return -1;
  const start = m.l4Off + 20;
  if (start + len > m.frameOff + m.caplen || start + len > m.data.length) return -1;
  return start;
}

/**
 * tcp_options: reset td_scale and the flags (keeping BE_LIBERAL) of the seen[] block at `base` in `V`,
 * then record WINDOW_SCALE / SACK_PERM from the packet's options. Without options nothing changes. HOT.
 */
export function tcpOptions(m: PacketMeta, V: Int32Array, base: number): void {
  const start = optionsStart(m);
  if (start < 0) return;
  const b = m.data;
  let p = start;
  let length = m.tcpHdrLen - 20;
  V[base + SEEN_SCALE] = 0;
  V[base + SEEN_FLAGS] = V[base + SEEN_FLAGS]! & TcpFlagBit.BE_LIBERAL;
  while (length > 0) {
    const opcode = b[p++]!;
    if (opcode === TCPOPT_EOL) return;
    if (opcode === TCPOPT_NOP) {
      length--;
      continue;
    }
    if (length < 2) return;
    const opsize = b[p++]!;
    if (opsize < 2) return; // "silly options"
    if (opsize > length) return; // don't parse partial options
    if (opcode === TCPOPT_SACK_PERM && opsize === 2) {
      V[base + SEEN_FLAGS] = V[base + SEEN_FLAGS]! | TcpFlagBit.SACK_PERM;
    } else if (opcode === TCPOPT_WINDOW && opsize === 3) {
      let scale = b[p]!;
      if (scale > TCP_MAX_WSCALE) scale = TCP_MAX_WSCALE;
      V[base + SEEN_SCALE] = scale;
      V[base + SEEN_FLAGS] = V[base + SEEN_FLAGS]! | TcpFlagBit.WINDOW_SCALE;
    }
    p += opsize - 2;
    length -= opsize;
  }
}

/** Same walk as tcpOptions, but returns flags | scale << 8 of a fresh (zeroed) state. HOT. */
export function tcpOptionsFresh(m: PacketMeta): number {
  const start = optionsStart(m);
  if (start < 0) return 0;
  const b = m.data;
  let p = start;
  let length = m.tcpHdrLen - 20;
  let flags = 0;
  let scale = 0;
  while (length > 0) {
    const opcode = b[p++]!;
    if (opcode === TCPOPT_EOL) break;
    if (opcode === TCPOPT_NOP) {
      length--;
      continue;
    }
    if (length < 2) break;
    const opsize = b[p++]!;
    if (opsize < 2 || opsize > length) break;
    if (opcode === TCPOPT_SACK_PERM && opsize === 2) flags |= TcpFlagBit.SACK_PERM;
    else if (opcode === TCPOPT_WINDOW && opsize === 3) {
      scale = Math.min(b[p]!, TCP_MAX_WSCALE);
      flags |= TcpFlagBit.WINDOW_SCALE;
    }
    p += opsize - 2;
    length -= opsize;
  }
  return flags | (scale << 8);
}

/** after(a, b) of include/net/tcp.h on 32-bit sequence numbers. HOT. */
export function seqAfter(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/** before(a, b). HOT. */
export function seqBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** tcp_sack: the highest SACK block right edge after `sack`, else `sack` (all unsigned 32-bit). HOT. */
export function tcpSack(m: PacketMeta, sack: number): number {
  const start = optionsStart(m);
  if (start < 0) return sack;
  const b = m.data;
  let length = m.tcpHdrLen - 20;
  // fast path for the timestamp-only option block
  if (length === 12 && b[start] === TCPOPT_NOP && b[start + 1] === TCPOPT_NOP && b[start + 2] === TCPOPT_TIMESTAMP && b[start + 3] === 10) return sack;
  let p = start;
  while (length > 0) {
    const opcode = b[p++]!;
    if (opcode === TCPOPT_EOL) return sack;
    if (opcode === TCPOPT_NOP) {
      length--;
      continue;
    }
    if (length < 2) return sack;
    const opsize = b[p++]!;
    if (opsize < 2 || opsize > length) return sack;
    if (opcode === TCPOPT_SACK && opsize >= 2 + 8 && (opsize - 2) % 8 === 0) {
      for (let i = 0; i < opsize - 2; i += 8) {
        const right = be32(b, p + i + 4);
        if (seqAfter(right, sack)) sack = right;
      }
      return sack;
    }
    p += opsize - 2;
    length -= opsize;
  }
  return sack;
}

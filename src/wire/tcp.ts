// Zero-copy view over a TCP header (RFC 9293) and an allocation-free walker over its options that follows
// the kernel's tcp_parse_options(): EOL ends the list, NOP is skipped, any other option needs a length
// byte >= 2 that stays inside the header, otherwise the walk stops there (malformed).

import { be16, be32, putBe16, putBe32 } from '../util/bytes.js';
import { ByteView } from './byte-view.js';

/** Field offsets inside the TCP header. */
export const TcpOff = { SPORT: 0, DPORT: 2, SEQ: 4, ACK: 8, DOFF: 12, FLAGS: 13, WINDOW: 14, CSUM: 16, URG: 18, OPTIONS: 20 } as const;
export const TCP_MIN_HDR_LEN = 20;
export const TCP_MAX_HDR_LEN = 60;

const EMPTY = new Uint8Array(0);

export class TcpView extends ByteView {
  /** Do `avail` bytes at `off` hold a whole TCP header: data offset >= 5 and data offset * 4 bytes present? */
  static check(bytes: Uint8Array, off: number, avail: number): boolean {
    if (off < 0 || avail < TCP_MIN_HDR_LEN || off + TCP_MIN_HDR_LEN > bytes.length) return false;
    const hlen = (bytes[off + TcpOff.DOFF]! >>> 4) << 2;
    return hlen >= TCP_MIN_HDR_LEN && hlen <= avail && off + hlen <= bytes.length;
  }

  get srcPort(): number {
    return be16(this.bytes, this.off + TcpOff.SPORT);
  }
  get dstPort(): number {
    return be16(this.bytes, this.off + TcpOff.DPORT);
  }
  get seq(): number {
    return be32(this.bytes, this.off + TcpOff.SEQ);
  }
  get ack(): number {
    return be32(this.bytes, this.off + TcpOff.ACK);
  }
  /** Data offset in 32-bit words. */
  get dataOffset(): number {
    return this.bytes[this.off + TcpOff.DOFF]! >>> 4;
  }
  /** Header length in bytes (data offset * 4). */
  get headerLen(): number {
    return (this.bytes[this.off + TcpOff.DOFF]! >>> 4) << 2;
  }
  /** FIN..CWR flag bits (TcpFlag.*). */
  get flags(): number {
    return this.bytes[this.off + TcpOff.FLAGS]!;
  }
  get window(): number {
    return be16(this.bytes, this.off + TcpOff.WINDOW);
  }
  get checksum(): number {
    return be16(this.bytes, this.off + TcpOff.CSUM);
  }
  get urgent(): number {
    return be16(this.bytes, this.off + TcpOff.URG);
  }

  set srcPort(v: number) {
    putBe16(this.bytes, this.off + TcpOff.SPORT, v);
  }
  set dstPort(v: number) {
    putBe16(this.bytes, this.off + TcpOff.DPORT, v);
  }
  set seq(v: number) {
    putBe32(this.bytes, this.off + TcpOff.SEQ, v);
  }
  set ack(v: number) {
    putBe32(this.bytes, this.off + TcpOff.ACK, v);
  }
  /** Header length in bytes (a multiple of 4, 20..60); keeps the reserved bits. */
  set headerLen(v: number) {
    const p = this.off + TcpOff.DOFF;
    this.bytes[p] = ((v >>> 2) << 4) | (this.bytes[p]! & 0x0f);
  }
  set flags(v: number) {
    this.bytes[this.off + TcpOff.FLAGS] = v & 0xff;
  }
  set window(v: number) {
    putBe16(this.bytes, this.off + TcpOff.WINDOW, v);
  }
  set checksum(v: number) {
    putBe16(this.bytes, this.off + TcpOff.CSUM, v);
  }
  set urgent(v: number) {
    putBe16(this.bytes, this.off + TcpOff.URG, v);
  }
}

/** What TcpOptionWalker.next() returns besides an option kind. */
export const TcpOptWalk = { END: -1, MALFORMED: -2 } as const;

/**
 * Walks the options in [start, end) of a buffer. Reuse one instance: reset(), then call next() until it
 * returns a negative value. After a non-negative return, `kind`, `len` and `at` describe the option.
 */
export class TcpOptionWalker {
  bytes: Uint8Array;
  pos: number;
  end: number;
  /** Kind and total length (kind and length bytes included) of the current option. */
  kind: number;
  len: number;
  /** Offset of the current option's kind byte (or of the malformed option after MALFORMED). */
  at: number;

  constructor() {
    this.bytes = EMPTY;
    this.pos = 0;
    this.end = 0;
    this.kind = 0;
    this.len = 0;
    this.at = -1;
  }

  /** Walk the options in [start, end): for a header at `off`, start = off + 20 and end = off + headerLen. HOT. */
  reset(bytes: Uint8Array, start: number, end: number): this {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.kind = 0;
    this.len = 0;
    this.at = -1;
    return this;
  }

  /** Next option's kind, TcpOptWalk.END, or TcpOptWalk.MALFORMED (the walk then stays stopped). HOT. */
  next(): number {
    const b = this.bytes;
    while (this.pos < this.end) {
      const p = this.pos;
      const kind = b[p]!;
      if (kind === 0) {
        this.pos = this.end;
        return TcpOptWalk.END;
      }
      if (kind === 1) {
        this.pos = p + 1;
        continue;
      }
      this.at = p;
      if (p + 1 >= this.end) return this.stop(kind);
      const len = b[p + 1]!;
      if (len < 2 || p + len > this.end) return this.stop(kind);
      this.kind = kind;
      this.len = len;
      this.pos = p + len;
      return kind;
    }
    return TcpOptWalk.END;
  }

  private stop(kind: number): number {
    this.kind = kind;
    this.len = 0;
    this.pos = this.end;
    return TcpOptWalk.MALFORMED;
  }
}

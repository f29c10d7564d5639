// IPv4 reassembly, mirroring ip_defrag/ip_frag_queue/ip_frag_reasm as nf_defrag_ipv4 uses it (and
// ip_local_deliver without conntrack): queues keyed by (saddr, daddr, id, proto), overlapping fragments
// discard the datagram, 30 s timeout, the first fragment's header with tot_len/frag_off rewritten.
// It records frag_max_size and the original fragment geometry for re-fragmentation (ip_do_fragment).

import { be16, putBe16 } from '../../util/bytes.js';
import { ipv4HeaderChecksum } from '../../wire/checksum.js';
import type { Pkt } from './pkt.js';

const IPFRAG_TIME_NS = 30e9;
/** ipfrag_high_thresh (4 MiB) bounds the bytes held in all queues. */
const HIGH_THRESH = 4 * 1024 * 1024;
const IP_DF = 0x4000;

interface Frag {
  offset: number;
  /** Payload bytes (without the IP header) and whether MF was set. */
  data: Uint8Array;
  more: boolean;
  /** The fragment's total IP length (for frag_max_size). */
  totLen: number;
  df: boolean;
}

interface Queue {
  key: string;
  firstSeenNs: number;
  /** Header of the offset-0 fragment (with options), once seen. */
  header: Uint8Array | null;
  frags: Frag[];
  /** Total datagram payload length, known once the last fragment (MF clear) arrived; -1 before. */
  total: number;
  bytes: number;
  maxSize: number;
  maxDfSize: number;
}

/** Result of offering a fragment. */
export const DefragResult = { CONSUMED: 0, COMPLETE: 1, DROP: 2 } as const;

export class Defrag {
  private readonly queues = new Map<string, Queue>();
  private memory = 0;
  /** Datagrams reassembled, fragments dropped (overlap, memory, timeout). */
  reassembled = 0;
  dropped = 0;
  timedOut = 0;

  /** Is the packet a fragment (MF set or non-zero offset)? */
  static isFragment(p: Pkt): boolean {
    return p.meta.moreFrags !== 0 || p.meta.fragOffset !== 0;
  }

  /**
   * Offer fragment `p` (time `nowNs`). COMPLETE: `p` now holds the reassembled datagram (re-decode it);
   * CONSUMED: held for later; DROP: the fragment (and possibly its queue) was discarded.
   */
  offer(p: Pkt, nowNs: number): number {
    this.expire(nowNs);
    const m = p.meta;
    const b = m.data;
    const key = `${m.saddr}:${m.daddr}:${m.ipId}:${m.ipProto}`;
    let q = this.queues.get(key);
    if (q === undefined) {
      q = { key, firstSeenNs: nowNs, header: null, frags: [], total: -1, bytes: 0, maxSize: 0, maxDfSize: 0 };
      this.queues.set(key, q);
    }
    const hlen = m.ipHdrLen;
    const len = m.ipTotalLen - hlen;
    const start = m.fragOffset;
    const end = start + len;
    const more = m.moreFrags !== 0;
    // a non-last fragment must carry a multiple of 8 bytes; the last fixes the total length
    if ((more && (len & 7) !== 0) || (!more && q.total >= 0 && q.total !== end) || (q.total >= 0 && end > q.total) || len <= 0 && more) {
      return this.kill(q);
    }
    for (const f of q.frags) {
      const fEnd = f.offset + f.data.length;
      if (start < fEnd && f.offset < end) {
        // an exact duplicate is ignored; any other overlap discards the datagram
        if (f.offset === start && fEnd === end) return DefragResult.CONSUMED;
        return this.kill(q);
      }
    }
    if (this.memory + len > HIGH_THRESH) return this.kill(q);
    if (!more) q.total = end;
    const df = (m.ipFragField & IP_DF) !== 0;
    q.frags.push({ offset: start, data: b.slice(m.l3Off + hlen, m.l3Off + hlen + len), more, totLen: m.ipTotalLen, df });
    q.bytes += len;
    this.memory += len;
    if (m.ipTotalLen > q.maxSize) q.maxSize = m.ipTotalLen;
    if (df && m.ipTotalLen > q.maxDfSize) q.maxDfSize = m.ipTotalLen;
    if (start === 0) q.header = b.slice(m.l3Off, m.l3Off + hlen);
    if (q.total < 0 || q.header === null || q.bytes !== q.total) return DefragResult.CONSUMED;
    return this.reassemble(q, p);
  }

  private reassemble(q: Queue, p: Pkt): number {
    q.frags.sort((a, b) => a.offset - b.offset);
    const header = q.header!;
    const hlen = header.length;
    const m = p.meta;
    const l3 = m.l3Off;
    const b = p.buf;
    if (l3 + hlen + q.total > b.length) return this.kill(q);
    b.set(header, l3);
    const geom: number[] = [];
    for (const f of q.frags) {
      b.set(f.data, l3 + hlen + f.offset);
      geom.push(f.data.length);
    }
    p.fragGeom = geom;
    putBe16(b, l3 + 2, hlen + q.total);
    // ip_frag_reasm: DF survives only when every fragment of the largest size carried it
    const df = q.maxDfSize === q.maxSize;
    putBe16(b, l3 + 6, df ? IP_DF : 0);
    putBe16(b, l3 + 10, 0);
    putBe16(b, l3 + 10, ipv4HeaderChecksum(b, l3, hlen));
    p.fragMaxSize = q.maxSize;
    this.queues.delete(q.key);
    this.memory -= q.bytes;
    this.reassembled++;
    return DefragResult.COMPLETE;
  }

  private kill(q: Queue): number {
    this.queues.delete(q.key);
    this.memory -= q.bytes;
    this.dropped += q.frags.length + 1;
    return DefragResult.DROP;
  }

  /** Drop queues older than ipfrag_time (the kernel would also send ICMP time-exceeded/reassembly). */
  private expire(nowNs: number): void {
    if (this.queues.size === 0) return;
    for (const q of this.queues.values()) {
      if (nowNs - q.firstSeenNs > IPFRAG_TIME_NS) {
        this.queues.delete(q.key);
        this.memory -= q.bytes;
        this.timedOut++;
      }
    }
  }

  /** Queues still open (for the report). */
  pending(): number {
    return this.queues.size;
  }
}

/** The 16-bit frag field of a header, for callers that rebuild headers. */
export function fragField(b: Uint8Array, l3Off: number): number {
  return be16(b, l3Off + 6);
}

// Reassembly and re-fragmentation. The expected geometry is the kernel's in the oracle recording 06: a
// 2028-byte datagram (fragments 1500 + 548) leaves a 1450-MTU uplink as 1444 + 604 (offset 178), and
// reassembled reply fragments 1444 + 604 are delivered in the same sizes (frag_list fast path).
import { describe, expect, it } from 'vitest';
import { Defrag, DefragResult } from '../../../src/netfilter/path/defrag.js';
import { ipDoFragment } from '../../../src/netfilter/path/fragment.js';
import type { FragmentSink } from '../../../src/netfilter/path/fragment.js';
import { HEADROOM, Pkt } from '../../../src/netfilter/path/pkt.js';
import { decodeIpv4Packet } from '../../../src/decode/ipv4.js';
import { DecodeCounters } from '../../../src/decode/counters.js';
import { Verify } from '../../../src/decode/verify.js';
import { be16, putBe16, putBe32 } from '../../../src/util/bytes.js';
import { csumVerifies, ipv4HeaderChecksum } from '../../../src/wire/checksum.js';
import { Csum } from '../../../src/decode/meta.js';
import { checksumsValid, makePartial, writeTcp } from '../../helpers/ipv4-packets.js';

const counters = new DecodeCounters();

/** A fragment of an ICMP datagram with id 0xa91f: `payload` bytes at byte offset `off`. */
function fragment(off: number, payload: number, more: boolean): Pkt {
  const p = new Pkt();
  const b = p.buf;
  const l3 = HEADROOM;
  b[l3] = 0x45;
  putBe16(b, l3 + 2, 20 + payload);
  putBe16(b, l3 + 4, 0xa91f);
  putBe16(b, l3 + 6, (more ? 0x2000 : 0) | (off >> 3));
  b[l3 + 8] = 64;
  b[l3 + 9] = 1;
  putBe32(b, l3 + 12, 0xac110002);
  putBe32(b, l3 + 16, 0xc633640a);
  for (let i = 0; i < payload; i++) b[l3 + 20 + i] = (off + i) & 0xff;
  putBe16(b, l3 + 10, ipv4HeaderChecksum(b, l3, 20));
  decodeIpv4Packet(p.meta, b, l3, 20 + payload, counters, Verify.NONE);
  return p;
}

class Collect implements FragmentSink {
  readonly sizes: number[] = [];
  readonly offsets: number[] = [];
  readonly mf: number[] = [];
  emitFragment(f: Pkt): void {
    const b = f.buf;
    const l3 = f.meta.l3Off;
    this.sizes.push(be16(b, l3 + 2));
    this.offsets.push(be16(b, l3 + 6) & 0x1fff);
    this.mf.push((be16(b, l3 + 6) & 0x2000) !== 0 ? 1 : 0);
    if (!csumVerifies(b, l3, 20, 0)) throw new Error('bad header checksum');
  }
}

describe('defrag and fragmentation', () => {
  it('reassembles out-of-order fragments and keeps the largest fragment size', () => {
    const d = new Defrag();
    expect(d.offer(fragment(1480, 528, false), 0)).toBe(DefragResult.CONSUMED);
    const first = fragment(0, 1480, true);
    expect(d.offer(first, 1000)).toBe(DefragResult.COMPLETE);
    expect(be16(first.buf, HEADROOM + 2)).toBe(2028);
    expect(be16(first.buf, HEADROOM + 6)).toBe(0);
    expect(first.fragMaxSize).toBe(1500);
    expect(first.fragGeom).toEqual([1480, 528]);
    for (let i = 0; i < 2008; i++) if (first.buf[HEADROOM + 20 + i] !== (i & 0xff)) throw new Error(`byte ${i}`);
  });

  it('drops a datagram whose fragments overlap', () => {
    const d = new Defrag();
    expect(d.offer(fragment(0, 1480, true), 0)).toBe(DefragResult.CONSUMED);
    expect(d.offer(fragment(1472, 536, false), 0)).toBe(DefragResult.DROP);
    expect(d.pending()).toBe(0);
  });

  it('re-fragments for a 1450 MTU as 1444 + 604 (slow path: the pieces do not fit)', () => {
    const d = new Defrag();
    d.offer(fragment(0, 1480, true), 0);
    const p = fragment(1480, 528, false);
    expect(d.offer(p, 0)).toBe(DefragResult.COMPLETE);
    decodeIpv4Packet(p.meta, p.buf, HEADROOM, 2028, counters, Verify.NONE);
    const c = new Collect();
    expect(ipDoFragment(p, 1450, new Pkt(), c)).toBe(2);
    expect([c.sizes, c.offsets, c.mf]).toEqual([[1444, 604], [0, 178], [1, 0]]);
  });

  it('keeps the original geometry when the pieces fit (frag_list fast path)', () => {
    const d = new Defrag();
    d.offer(fragment(0, 1424, true), 0);
    const p = fragment(1424, 584, false);
    expect(d.offer(p, 0)).toBe(DefragResult.COMPLETE);
    decodeIpv4Packet(p.meta, p.buf, HEADROOM, 2028, counters, Verify.NONE);
    const c = new Collect();
    expect(ipDoFragment(p, 1500, new Pkt(), c)).toBe(2);
    expect([c.sizes, c.offsets]).toEqual([[1444, 604], [0, 178]]);
  });
});

describe('fragmenting a packet whose checksum was left for the NIC', () => {
  it('completes the checksum first (skb_checksum_help), since no fragment can carry it', () => {
    const p = new Pkt();
    const len = writeTcp(p.buf, HEADROOM, { flags: 0x18, payload: 200, df: false });
    makePartial(p.buf, HEADROOM);
    decodeIpv4Packet(p.meta, p.buf, HEADROOM, len, counters, Verify.ALL);
    expect(p.meta.csum & Csum.L4_PARTIAL).toBe(Csum.L4_PARTIAL);
    expect(checksumsValid(p.buf, HEADROOM)).toBe(false);
    const sink = new Collect();
    expect(ipDoFragment(p, 120, new Pkt(), sink)).toBe(3);
    expect(checksumsValid(p.buf, HEADROOM)).toBe(true);
    expect(p.meta.csum & Csum.L4_PARTIAL).toBe(0);
  });
});


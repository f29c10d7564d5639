// TCPOPTSTRIP as xt_TCPOPTSTRIP.c tcpoptstrip_mangle_packet does it: stripped options become NOPs byte for
// byte, the checksum follows by inet_proto_csum_replace2 per byte and equals a full recomputation (or stays
// the pseudo-header sum under CHECKSUM_PARTIAL), the option walk uses optlen() (EOL/NOP and zero lengths make
// progress of one, a length past the header stops it, the last header byte is never looked at), fragments
// are left alone and truncated headers dropped.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OptStripResult, protoCsumReplace2, tcpoptstripMangle } from '../../../src/netfilter/mangle/tcpoptstrip.js';
import { Csum } from '../../../src/decode/meta.js';
import { be16, putBe16 } from '../../../src/util/bytes.js';
import { ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../../../src/wire/checksum.js';
import { checksumsValid, decodeAt, makePartial, pseudoFold, writeTcp } from '../../helpers/ipv4-packets.js';

const SYN = 0x02;
const IP = 64;
const TH = IP + 20;
const MSS = [2, 4, 0x05, 0xb4];
const SACK_PERM = [4, 2];
const TS = [8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0];
const WSCALE = [3, 3, 7];

/** strip_bmap with the given kinds set. */
function bmapOf(...kinds: number[]): number[] {
  const m = [0, 0, 0, 0, 0, 0, 0, 0];
  for (const k of kinds) m[k >>> 5] = (m[k >>> 5]! | (1 << (k & 31))) >>> 0;
  return m;
}

/** A SYN at IP with these option bytes; returns the buffer, its length and the decoded meta. */
function syn(options: number[], payload = 0) {
  const b = new Uint8Array(256);
  const len = writeTcp(b, IP, { flags: SYN, options, payload });
  return { b, len, m: decodeAt(b, IP, len) };
}

/** The option bytes after the fixed header. */
const opts = (b: Uint8Array, n: number): number[] => [...b.subarray(TH + 20, TH + 20 + n)];

/** The TCP checksum a full recomputation gives for the packet as it is now. */
function recomputed(b: Uint8Array, len: number): number {
  const l4 = len - 20;
  const pseudo = pseudoHeaderSum(0xac110002, 0xc633640a, 6, l4);
  return l4Checksum(b, TH, l4, 16, pseudo);
}

describe('TCPOPTSTRIP: stripping', () => {
  it('turns SACK-permitted and timestamp into NOPs, keeps MSS and wscale, checksum as recomputed', () => {
    const o = [...MSS, ...SACK_PERM, ...TS, 1, ...WSCALE];
    const { b, len, m } = syn(o);
    expect(m.tcpSackPerm).toBe(1);
    expect(m.tcpTsOff).toBe(TH + 26);
    expect(tcpoptstripMangle(m, bmapOf(4, 8))).toBe(OptStripResult.STRIPPED);
    expect(opts(b, 20)).toEqual([2, 4, 0x05, 0xb4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 7]);
    expect(be16(b, TH + 16)).toBe(recomputed(b, len));
    expect(checksumsValid(b, IP)).toBe(true);
    // the decoded option fields follow, and agree with a fresh decode
    expect([m.tcpSackPerm, m.tcpTsOff, m.tcpTsVal, m.tcpMss, m.tcpWscale, m.l4Csum]).toEqual([0, -1, 0, 1460, 7, be16(b, TH + 16)]);
    const again = decodeAt(b, IP, len);
    expect([again.tcpSackPerm, again.tcpTsOff, again.tcpMss, again.tcpWscale, again.csum & Csum.L4_BAD]).toEqual([0, -1, 1460, 7, 0]);
  });

  it('strips an option at an odd offset (each byte is the low or high half of its checksum word)', () => {
    const { b, len, m } = syn([1, ...MSS, 1, 1, 1]);
    expect(m.tcpMssOff).toBe(TH + 21);
    expect(tcpoptstripMangle(m, bmapOf(2))).toBe(OptStripResult.STRIPPED);
    expect(opts(b, 8)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(be16(b, TH + 16)).toBe(recomputed(b, len));
    expect([m.tcpMssOff, m.tcpMss]).toEqual([-1, 0]);
  });

  it('strips every option of a kind, and kinds beyond the first bitmap word', () => {
    const { b, len, m } = syn([...MSS, 253, 4, 0xab, 0xcd, ...MSS]);
    expect(tcpoptstripMangle(m, bmapOf(2, 253))).toBe(OptStripResult.STRIPPED);
    expect(opts(b, 12)).toEqual(new Array(12).fill(1));
    expect(be16(b, TH + 16)).toBe(recomputed(b, len));
    expect(m.tcpWscale).toBe(-1);
  });

  it('leaves the packet byte for byte when no option of the bitmap is present', () => {
    const { b, m } = syn([...MSS, 1, ...WSCALE]);
    const before = b.slice();
    expect(tcpoptstripMangle(m, bmapOf(4, 5, 8, 19))).toBe(OptStripResult.UNCHANGED);
    expect(b).toEqual(before);
    expect(tcpoptstripMangle(m, bmapOf())).toBe(OptStripResult.UNCHANGED);
  });

  it('touches neither the payload nor the IP header', () => {
    const { b, m } = syn([...MSS, ...SACK_PERM, 1, 1], 7);
    const before = b.slice();
    expect(tcpoptstripMangle(m, bmapOf(4))).toBe(OptStripResult.STRIPPED);
    expect(b.subarray(IP, TH)).toEqual(before.subarray(IP, TH));
    expect(b.subarray(TH + 28)).toEqual(before.subarray(TH + 28));
    expect(checksumsValid(b, IP)).toBe(true);
  });

  it('stores 0 where RFC 1624 would give 0xffff (csum_replace4 never folds to zero)', () => {
    expect(protoCsumReplace2(0xffff, 0xffff, 0)).toBe(0);
    expect(protoCsumReplace2(0x1234, 0x0200, 0x0100)).toBe(0x1334);
  });
});

describe('TCPOPTSTRIP: CHECKSUM_PARTIAL', () => {
  it('strips the bytes but leaves the pseudo-header sum in the checksum field', () => {
    const b = new Uint8Array(256);
    const len = writeTcp(b, IP, { flags: SYN, options: [...MSS, ...SACK_PERM, ...TS, 1, ...WSCALE] });
    makePartial(b, IP);
    const m = decodeAt(b, IP, len);
    expect(m.csum & Csum.L4_PARTIAL).toBe(Csum.L4_PARTIAL);
    expect(tcpoptstripMangle(m, bmapOf(8))).toBe(OptStripResult.STRIPPED);
    expect(opts(b, 20).slice(6, 16)).toEqual(new Array(10).fill(1));
    expect(be16(b, TH + 16)).toBe(pseudoFold(b, IP));
    expect(m.l4Csum).toBe(pseudoFold(b, IP));
  });
});

describe('TCPOPTSTRIP: the option walk (optlen)', () => {
  const strip = (options: number[], kinds: number[]) => {
    const { b, len, m } = syn(options);
    const r = tcpoptstripMangle(m, bmapOf(...kinds));
    return { r, o: opts(b, options.length), csumOk: be16(b, TH + 16) === recomputed(b, len) };
  };

  it('walks past EOL: an MSS after it is still stripped', () => {
    expect(strip([0, ...MSS, 1, 1, 1], [2])).toEqual({ r: OptStripResult.STRIPPED, o: [0, 1, 1, 1, 1, 1, 1, 1], csumOk: true });
  });
  it('makes progress of one over a zero-length option, then reads its length byte as EOL', () => {
    expect(strip([0x22, 0, ...MSS, 1, 1], [2])).toEqual({ r: OptStripResult.STRIPPED, o: [0x22, 0, 1, 1, 1, 1, 1, 1], csumOk: true });
    // the zero-length option's own kind can be stripped: one byte
    expect(strip([0x22, 0, ...MSS, 1, 1], [0x22])).toEqual({ r: OptStripResult.STRIPPED, o: [1, 0, ...MSS, 1, 1], csumOk: true });
  });
  it('strips a one-byte option of length 1 as one byte; its length byte is then a NOP', () => {
    expect(strip([5, 1, 1, 1], [5])).toEqual({ r: OptStripResult.STRIPPED, o: [1, 1, 1, 1], csumOk: true });
  });
  it('stops at an option running past the header end', () => {
    expect(strip([1, 1, 5, 10, 0, 0, 0, 0], [5])).toEqual({ r: OptStripResult.UNCHANGED, o: [1, 1, 5, 10, 0, 0, 0, 0], csumOk: true });
    // options before it are stripped
    expect(strip([4, 2, 5, 10, 0, 0, 0, 0], [4, 5])).toEqual({ r: OptStripResult.STRIPPED, o: [1, 1, 5, 10, 0, 0, 0, 0], csumOk: true });
  });
  it('never looks at the last header byte (i < tcp_hdrlen - 1)', () => {
    expect(strip([1, 1, 1, 2], [2])).toEqual({ r: OptStripResult.UNCHANGED, o: [1, 1, 1, 2], csumOk: true });
    // an option ending exactly at the header end is walked
    expect(strip([1, 1, 4, 2], [4])).toEqual({ r: OptStripResult.STRIPPED, o: [1, 1, 1, 1], csumOk: true });
  });
});

describe('TCPOPTSTRIP: fragments and truncated headers', () => {
  /** Rewrite the IP header's total length / fragment field, with a valid header checksum. */
  function patchIp(b: Uint8Array, totalLen: number | null, frag: number | null): void {
    if (totalLen !== null) putBe16(b, IP + 2, totalLen);
    if (frag !== null) putBe16(b, IP + 6, frag);
    putBe16(b, IP + 10, 0);
    putBe16(b, IP + 10, ipv4HeaderChecksum(b, IP, 20));
  }

  it('does nothing for a fragment past offset 0', () => {
    const { b, len } = syn([...MSS, ...SACK_PERM, 1, 1]);
    patchIp(b, null, 0x0001); // offset 8 bytes
    const m = decodeAt(b, IP, len);
    const before = b.slice();
    expect(m.fragOffset).toBe(8);
    expect(tcpoptstripMangle(m, bmapOf(2, 4))).toBe(OptStripResult.UNCHANGED);
    expect(b).toEqual(before);
  });
  it('strips in a first fragment (MF set, offset 0)', () => {
    const { b, len } = syn([...MSS, ...SACK_PERM, 1, 1], 8);
    patchIp(b, null, 0x2000);
    const m = decodeAt(b, IP, len);
    expect(tcpoptstripMangle(m, bmapOf(4))).toBe(OptStripResult.STRIPPED);
    expect(opts(b, 8)).toEqual([...MSS, 1, 1, 1, 1]);
  });
  it('drops when fewer than 20 bytes follow the IP header', () => {
    const { b } = syn([]);
    patchIp(b, 20 + 16, null);
    expect(tcpoptstripMangle(decodeAt(b, IP, 36), bmapOf(2))).toBe(OptStripResult.DROP);
  });
  it('drops a data offset below 5 or past the end of the packet', () => {
    const low = syn([...MSS]);
    low.b[TH + 12] = 4 << 4;
    expect(tcpoptstripMangle(decodeAt(low.b, IP, low.len), bmapOf(2))).toBe(OptStripResult.DROP);
    const high = syn([...MSS]);
    high.b[TH + 12] = 15 << 4; // 60 bytes of header in a 24-byte segment
    expect(tcpoptstripMangle(decodeAt(high.b, IP, high.len), bmapOf(2))).toBe(OptStripResult.DROP);
  });
  it('leaves a header alone whose options the capture cut off', () => {
    const { b, len, m } = syn([...MSS, ...SACK_PERM, 1, 1]);
    m.caplen = len - 4;
    const before = b.slice();
    expect(tcpoptstripMangle(m, bmapOf(4))).toBe(OptStripResult.UNCHANGED);
    expect(b).toEqual(before);
  });
});

describe('TCPOPTSTRIP: any option bytes', () => {
  it('only turns option bytes into NOPs, and the checksum always equals a full recomputation', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }).chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })),
        fc.array(fc.integer({ min: 2, max: 255 }), { maxLength: 6 }),
        (optBytes, kinds) => {
          const { b, len, m } = syn([...optBytes]);
          const before = b.slice();
          const r = tcpoptstripMangle(m, bmapOf(...kinds));
          for (let i = 0; i < b.length; i++) {
            if (b[i] === before[i] || i === TH + 16 || i === TH + 17) continue;
            if (i < TH + 20 || i >= TH + 20 + optBytes.length || b[i] !== 1) return false;
          }
          if (r === OptStripResult.UNCHANGED) return b.every((v, i) => v === before[i]);
          return r === OptStripResult.STRIPPED && be16(b, TH + 16) === recomputed(b, len);
        },
      ),
      { numRuns: 400, seed: 7 },
    );
  });
});

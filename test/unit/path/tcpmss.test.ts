// TCPMSS as xt_TCPMSS.c does it; expected values are the kernel behaviour verified in the reference (4,
// "TCPMSS — all points verified here") and the 1460 → 1410 clamp of the oracle recordings.
import { describe, expect, it } from 'vitest';
import { clampMss, MssResult, tcpmssMangle } from '../../../src/netfilter/mangle/tcpmss.js';
import { be16 } from '../../../src/util/bytes.js';
import { checksumsValid, decodeAt, makePartial, pseudoFold, writeTcp } from '../../helpers/ipv4-packets.js';
import { Csum } from '../../../src/decode/meta.js';

const SYN = 0x02;
const MSS1460 = [2, 4, 0x05, 0xb4];

describe('TCPMSS', () => {
  it('clamps to min(route MTU, reverse route MTU) - 40', () => {
    expect(clampMss(1450, 1500)).toBe(1410);
    expect(clampMss(1400, 1300)).toBe(1260);
    expect(clampMss(40, 1500)).toBe(-1);
  });

  it('lowers MSS 1460 to 1410 with valid checksums', () => {
    const b = new Uint8Array(256);
    const len = writeTcp(b, 64, { flags: SYN, options: MSS1460 });
    const m = decodeAt(b, 64, len);
    expect(tcpmssMangle(m, 1410)).toBe(MssResult.REWRITTEN);
    expect(be16(b, 64 + 20 + 22)).toBe(1410);
    expect(m.tcpMss).toBe(1410);
    expect(checksumsValid(b, 64)).toBe(true);
  });

  it('never raises an MSS, even with --set-mss', () => {
    const b = new Uint8Array(256);
    const len = writeTcp(b, 64, { flags: SYN, options: [2, 4, 0x05, 0x14] }); // 1300
    expect(tcpmssMangle(decodeAt(b, 64, len), 1410)).toBe(MssResult.UNCHANGED);
    expect(be16(b, 64 + 20 + 22)).toBe(1300);
  });

  it('rewrites an unaligned MSS option with a correct checksum', () => {
    const b = new Uint8Array(256);
    const len = writeTcp(b, 64, { flags: SYN, options: [1, 2, 4, 0x05, 0xb4, 1, 1, 1] });
    expect(tcpmssMangle(decodeAt(b, 64, len), 1380)).toBe(MssResult.REWRITTEN);
    expect(be16(b, 64 + 20 + 23)).toBe(1380);
    expect(checksumsValid(b, 64)).toBe(true);
  });

  it('inserts MSS 536 as the first option of a 40-byte SYN (44 bytes after)', () => {
    const b = new Uint8Array(256);
    const len = writeTcp(b, 64, { flags: SYN });
    const m = decodeAt(b, 64, len);
    const [caplen, wirelen] = [m.caplen, m.wirelen];
    expect(tcpmssMangle(m, 1410)).toBe(MssResult.INSERTED);
    // the frame grows by the option, captured and on the wire alike
    expect([m.caplen - caplen, m.wirelen - wirelen]).toEqual([4, 4]);
    expect(be16(b, 64 + 2)).toBe(44);
    expect(b[64 + 32]! >> 4).toBe(6);
    expect([...b.subarray(64 + 40, 64 + 44)]).toEqual([2, 4, 0x02, 0x18]);
    expect(m.ipTotalLen).toBe(44);
    expect(checksumsValid(b, 64)).toBe(true);
    // the decode of the result agrees with the updated metadata
    const again = decodeAt(b, 64, 44);
    expect([again.tcpMss, again.tcpHdrLen, again.ipTotalLen]).toEqual([536, 24, 44]);
  });

  it('inserts before existing options: mss 536, nop, wscale 7', () => {
    const b = new Uint8Array(256);
    const len = writeTcp(b, 64, { flags: SYN, options: [1, 3, 3, 7] });
    expect(tcpmssMangle(decodeAt(b, 64, len), 1410)).toBe(MssResult.INSERTED);
    expect([...b.subarray(64 + 40, 64 + 48)]).toEqual([2, 4, 0x02, 0x18, 1, 3, 3, 7]);
    expect(checksumsValid(b, 64)).toBe(true);
  });

  it('leaves a SYN carrying payload without MSS untouched', () => {
    const b = new Uint8Array(256);
    const len = writeTcp(b, 64, { flags: SYN, payload: 5 });
    const before = b.slice();
    expect(tcpmssMangle(decodeAt(b, 64, len), 1410)).toBe(MssResult.UNCHANGED);
    expect(b).toEqual(before);
  });

  it('leaves a checksum left for the NIC (CHECKSUM_PARTIAL) to the pseudo-header: the MSS is not in it, the length is', () => {
    const b = new Uint8Array(256);
    writeTcp(b, 64, { flags: SYN, options: MSS1460 });
    makePartial(b, 64);
    let m = decodeAt(b, 64, 64);
    expect(m.csum & Csum.L4_PARTIAL).toBe(Csum.L4_PARTIAL);
    const before = be16(b, 64 + 36);
    expect(tcpmssMangle(m, 1410)).toBe(MssResult.REWRITTEN);
    expect(be16(b, 64 + 36)).toBe(before);
    const c = new Uint8Array(256);
    writeTcp(c, 64, { flags: SYN });
    makePartial(c, 64);
    m = decodeAt(c, 64, 40);
    expect(tcpmssMangle(m, 1410)).toBe(MssResult.INSERTED);
    expect(be16(c, 64 + 36)).toBe(pseudoFold(c, 64)); // the pseudo-header of the 44-byte packet
    expect(m.l4Csum).toBe(pseudoFold(c, 64));
  });
});

// The ECN target as ipt_ECN.c ecn_tg does it: the ECN bits of the TOS byte with the header checksum fixed
// (csum_replace2), ECE/CWR in the TCP flags with the TCP checksum fixed over the flags word (pseudohdr
// false: untouched under CHECKSUM_PARTIAL), nothing when the bits already hold the values, NF_DROP for a TCP
// operation without 20 bytes of TCP header, and the TCP part chosen by the IP protocol alone.
import { describe, expect, it } from 'vitest';
import { EcnCodepoint, EcnResult, ecnMangle } from '../../../src/netfilter/mangle/ecn.js';
import { EcnOp } from '../../../src/netfilter/rules/target-data.js';
import { Csum } from '../../../src/decode/meta.js';
import { be16, putBe16 } from '../../../src/util/bytes.js';
import { csumVerifies, ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../../../src/wire/checksum.js';
import { checksumsValid, decodeAt, makePartial, pseudoFold, writeTcp } from '../../helpers/ipv4-packets.js';

const IP = 64;
const TH = IP + 20;
const REMOVE = EcnOp.SET_ECE | EcnOp.SET_CWR;
/** SYN with ECE and CWR: an ECN-setup SYN (RFC 3168). */
const ECN_SYN = 0xc2;

function tcp(flags: number, tos = 0, payload = 0) {
  const b = new Uint8Array(256);
  const len = writeTcp(b, IP, { flags, options: [2, 4, 0x05, 0xb4], payload });
  if (tos !== 0) setIp(b, 1, tos);
  return { b, len, m: decodeAt(b, IP, len) };
}

/** Write one byte of the IP header and refresh its checksum. */
function setIp(b: Uint8Array, at: number, v: number): void {
  b[IP + at] = v;
  putBe16(b, IP + 10, 0);
  putBe16(b, IP + 10, ipv4HeaderChecksum(b, IP, 20));
}

describe('ECN: TCP flags', () => {
  it('--ecn-tcp-remove clears ECE and CWR of an ECN-setup SYN; the checksum equals a recomputation', () => {
    const { b, len, m } = tcp(ECN_SYN);
    expect(ecnMangle(m, REMOVE, 0, 0, 0)).toBe(EcnResult.CONTINUE);
    expect(b[TH + 13]).toBe(0x02);
    const l4 = len - 20;
    expect(be16(b, TH + 16)).toBe(l4Checksum(b, TH, l4, 16, pseudoHeaderSum(0xac110002, 0xc633640a, 6, l4)));
    expect(checksumsValid(b, IP)).toBe(true);
    expect([m.tcpFlags, m.l4Csum]).toEqual([0x02, be16(b, TH + 16)]);
  });

  it('sets ECE alone, or CWR alone, leaving the other flag as it was', () => {
    const ece = tcp(0x10);
    ecnMangle(ece.m, EcnOp.SET_ECE, 0, 1, 0);
    expect(ece.b[TH + 13]).toBe(0x50);
    expect(checksumsValid(ece.b, IP)).toBe(true);
    const cwr = tcp(0x50);
    ecnMangle(cwr.m, EcnOp.SET_CWR, 0, 0, 1);
    expect(cwr.b[TH + 13]).toBe(0xd0);
    expect(checksumsValid(cwr.b, IP)).toBe(true);
  });

  it('changes nothing when the flags already hold the values', () => {
    const { b, m } = tcp(0x12);
    const before = b.slice();
    expect(ecnMangle(m, REMOVE, 0, 0, 0)).toBe(EcnResult.CONTINUE);
    expect(ecnMangle(m, EcnOp.SET_CWR, 0, 1, 0)).toBe(EcnResult.CONTINUE); // ece 1 is not asked for
    expect(b.subarray(0, TH + 13)).toEqual(before.subarray(0, TH + 13));
    expect(b[TH + 13]).toBe(0x12);
  });

  it('leaves a CHECKSUM_PARTIAL checksum as it is (the flags are not in the pseudo-header)', () => {
    const b = new Uint8Array(256);
    const len = writeTcp(b, IP, { flags: ECN_SYN });
    makePartial(b, IP);
    const m = decodeAt(b, IP, len);
    expect(m.csum & Csum.L4_PARTIAL).toBe(Csum.L4_PARTIAL);
    ecnMangle(m, REMOVE, 0, 0, 0);
    expect(b[TH + 13]).toBe(0x02);
    expect(be16(b, TH + 16)).toBe(pseudoFold(b, IP));
    expect(m.l4Csum).toBe(pseudoFold(b, IP));
  });

  it('drops a TCP packet with fewer than 20 bytes after the IP header, only for a TCP operation', () => {
    const { b } = tcp(ECN_SYN);
    putBe16(b, IP + 2, 36);
    setIp(b, 1, 0);
    expect(ecnMangle(decodeAt(b, IP, 36), REMOVE, 0, 0, 0)).toBe(EcnResult.DROP);
    const m = decodeAt(b, IP, 36);
    expect(ecnMangle(m, EcnOp.SET_IP, EcnCodepoint.ECT_1, 0, 0)).toBe(EcnResult.CONTINUE);
    expect(b[IP + 1]).toBe(1);
  });

  it('ignores the TCP operations for another protocol', () => {
    const { b, len } = tcp(ECN_SYN);
    setIp(b, 9, 17);
    const before = b.slice();
    expect(ecnMangle(decodeAt(b, IP, len), REMOVE, 0, 0, 0)).toBe(EcnResult.CONTINUE);
    expect(b).toEqual(before);
  });

  it('rewrites bytes 13 and 16-17 of a later TCP fragment as if they were a TCP header, as the kernel does', () => {
    const { b, len } = tcp(ECN_SYN);
    setIp(b, 6, 0x00);
    setIp(b, 7, 0x03); // fragment offset 24 bytes
    const m = decodeAt(b, IP, len);
    expect(m.l4Off).toBe(-1);
    const word = be16(b, TH + 12);
    const check = be16(b, TH + 16);
    expect(ecnMangle(m, REMOVE, 0, 0, 0)).toBe(EcnResult.CONTINUE);
    expect(b[TH + 13]).toBe(0x02);
    // the "checksum" moved by exactly the flags word's change
    const sum = (c: number, w: number): number => ((~c & 0xffff) + (~w & 0xffff)) % 0xffff;
    expect(sum(be16(b, TH + 16), be16(b, TH + 12))).toBe(sum(check, word));
  });
});

describe('ECN: IP ECT codepoint', () => {
  it('sets the two ECN bits, keeps the DSCP, fixes the header checksum', () => {
    const { b, m } = tcp(0x10, 0xb9); // EF + ECT(1)
    expect(ecnMangle(m, EcnOp.SET_IP, EcnCodepoint.CE, 0, 0)).toBe(EcnResult.CONTINUE);
    expect(b[IP + 1]).toBe(0xbb);
    expect(csumVerifies(b, IP, 20, 0)).toBe(true);
    expect(be16(b, IP + 10)).toBe(ipv4HeaderChecksum(b, IP, 20));
    expect([m.ipTos, m.ipCsum]).toEqual([0xbb, be16(b, IP + 10)]);
    ecnMangle(m, EcnOp.SET_IP, EcnCodepoint.NOT_ECT, 0, 0);
    expect(b[IP + 1]).toBe(0xb8);
    expect(csumVerifies(b, IP, 20, 0)).toBe(true);
  });

  it('changes nothing when the codepoint already holds', () => {
    const { b, m } = tcp(0x10, 0x02);
    const before = b.slice();
    ecnMangle(m, EcnOp.SET_IP, EcnCodepoint.ECT_0, 0, 0);
    expect(b).toEqual(before);
  });

  it('applies the IP and the TCP parts together, both checksums valid', () => {
    const { b, m } = tcp(ECN_SYN, 0x00, 12);
    ecnMangle(m, EcnOp.SET_IP | REMOVE, EcnCodepoint.ECT_1, 0, 0);
    expect([b[IP + 1], b[TH + 13]]).toEqual([0x01, 0x02]);
    expect(checksumsValid(b, IP)).toBe(true);
  });
});

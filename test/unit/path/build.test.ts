// Packets the host builds itself. Expected fields: the REJECT/RST cases verified in the reference (4,
// "Verified here: SYN seq 5000 → R. seq 0 ack 5001; PSH/ACK ack 9000 → R seq 9000; FIN+3 bytes seq 100 →
// R. ack 104; all id 0, DF, ttl 64") and the 576-byte limit of ICMP errors (1028-byte UDP → 576 bytes).
import { describe, expect, it } from 'vitest';
import { buildEchoReply, buildIcmpError, buildTcpReset } from '../../../src/netfilter/path/build.js';
import { be16, be32 } from '../../../src/util/bytes.js';
import { formatIpv4 } from '../../../src/util/ipv4.js';
import { csumVerifies } from '../../../src/wire/checksum.js';
import { checksumsValid, decodeAt, writeTcp } from '../../helpers/ipv4-packets.js';

function reset(spec: Parameters<typeof writeTcp>[2]) {
  const src = new Uint8Array(256);
  const len = writeTcp(src, 0, spec);
  const m = decodeAt(src, 0, len);
  const out = new Uint8Array(128);
  const n = buildTcpReset(out, 10, m, 0, 64, 0);
  return { out, n, seq: be32(out, 34), ack: be32(out, 38), flags: out[43]! };
}

describe('TCP reset', () => {
  it('answers a SYN with RST|ACK, seq 0, ack = seq + 1', () => {
    const r = reset({ flags: 0x02, seq: 5000, sport: 40000, dport: 81 });
    expect([r.n, r.seq, r.ack, r.flags]).toEqual([40, 0, 5001, 0x14]);
    expect([be16(r.out, 10 + 4), be16(r.out, 10 + 6), r.out[10 + 8]]).toEqual([0, 0x4000, 64]);
    expect([formatIpv4(be32(r.out, 22)), formatIpv4(be32(r.out, 26))]).toEqual(['198.51.100.10', '172.17.0.2']);
    expect([be16(r.out, 30), be16(r.out, 32)]).toEqual([81, 40000]);
    expect(be16(r.out, 44)).toBe(0);
    expect(checksumsValid(r.out, 10)).toBe(true);
  });
  it('answers an ACK-bearing segment with RST, seq = its ack', () => {
    const r = reset({ flags: 0x18, seq: 7000, ack: 9000, payload: 10 });
    expect([r.seq, r.ack, r.flags]).toEqual([9000, 0, 0x04]);
  });
  it('counts FIN and payload in the ack of a FIN without ACK', () => {
    const r = reset({ flags: 0x01, seq: 100, payload: 3 });
    expect([r.seq, r.ack, r.flags]).toEqual([0, 104, 0x14]);
  });
});

describe('ICMP error and echo reply', () => {
  it('quotes at most 548 bytes: a 1028-byte datagram gives a 576-byte error, TOS 0xc0', () => {
    const orig = new Uint8Array(1028);
    orig[0] = 0x45;
    const out = new Uint8Array(700);
    const n = buildIcmpError(out, 0, 3, 3, 0, orig, 0, Math.min(1028, 576 - 28), 0x01020304, 0x05060708, 0xc0, 64, 99);
    expect(n).toBe(576);
    expect([be16(out, 2), out[1], out[20], out[21]]).toEqual([576, 0xc0, 3, 3]);
    expect(csumVerifies(out, 0, 20, 0)).toBe(true);
    expect(csumVerifies(out, 20, 556, 0)).toBe(true);
    expect(out[28]).toBe(0x45); // the quoted header
  });
  it('echoes id, sequence and data in an echo reply', () => {
    const src = new Uint8Array(128);
    // IPv4 + ICMP echo request id 0x1234 seq 7, 8 data bytes
    src.set([0x45, 0, 0, 36, 0, 1, 0x40, 0, 64, 1, 0, 0, 172, 17, 0, 2, 198, 51, 100, 1, 8, 0, 0, 0, 0x12, 0x34, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8]);
    const m = decodeAt(src, 0, 36);
    const out = new Uint8Array(128);
    const n = buildEchoReply(out, 0, m, m.daddr, 64, 5);
    expect(n).toBe(36);
    expect([out[20], be16(out, 24), be16(out, 26)]).toEqual([0, 0x1234, 7]);
    expect([...out.subarray(28, 36)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(csumVerifies(out, 20, 16, 0)).toBe(true);
    expect(formatIpv4(be32(out, 16))).toBe('172.17.0.2');
  });
});

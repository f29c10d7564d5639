import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../src/util/bytes.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';
import { badChecksums, fieldAt, fieldsOf, fieldValue, isHostIcmp, summarize } from '../../helpers/oracle-fields.js';

// Frame 41 of test/fixtures/oracle/captures/10-reject/host-any.pcap (tshark: 198.51.100.10:40080 >
// 198.51.100.1:8080 SYN, MSS 1410, IP and TCP checksums good).
const SYN = fromHex('4500002c4e0540004006 9854 c6336 40a c633 6401 9c90 1f90 00001388 00000000 6002 faf0 794c 0000 02040582'.replace(/ /g, ''));
// Frame 21 of the same file (tshark: ICMP port unreachable 172.17.0.1 > 172.17.0.3, ip.id 0x50a3, DF clear,
// quoting UDP 172.17.0.3:40053 > 198.51.100.10:53 with TTL 63 and 32 bytes "dns-dns-...").
const UNREACH = fromHex(
  '45c0005850a300004001d11bac110001ac110003 0303d38800000000 4500003c4e0140003f11175eac110003c633640a 9c7500350028cfc2'.replace(/ /g, '') +
    Buffer.from('dns-'.repeat(8)).toString('hex'),
);

describe('oracle harness: field names', () => {
  it('names IPv4 and TCP bytes, down to the MSS option value', () => {
    const f = fieldsOf(SYN);
    expect(fieldAt(f, 8).name).toBe('ip.ttl');
    expect(fieldAt(f, 10).name).toBe('ip.checksum');
    expect(fieldAt(f, 13).name).toBe('ip.src');
    expect(fieldAt(f, 22).name).toBe('tcp.dport');
    expect(fieldAt(f, 33).name).toBe('tcp.flags');
    expect(fieldAt(f, 42).name).toBe('tcp.opt.mss');
    expect(fieldValue(SYN, fieldAt(f, 42))).toBe('1410 (0x0582)');
    expect(fieldValue(SYN, fieldAt(f, 16))).toBe('198.51.100.1');
    expect(fieldValue(SYN, fieldAt(f, 8))).toBe('64 (0x40)');
  });

  it('names the quoted packet of an ICMP error with an icmp.inner. prefix', () => {
    const f = fieldsOf(UNREACH);
    expect(fieldAt(f, 20).name).toBe('icmp.type');
    expect(fieldAt(f, 26).name).toBe('icmp.mtu');
    expect(fieldAt(f, 28 + 8).name).toBe('icmp.inner.ip.ttl');
    expect(fieldValue(UNREACH, fieldAt(f, 36))).toBe('63 (0x3f)');
    expect(fieldAt(f, 48).name).toBe('icmp.inner.udp.sport');
    expect(fieldValue(UNREACH, fieldAt(f, 48))).toBe('40053 (0x9c75)');
    expect(fieldAt(f, 60).name).toBe('icmp.inner.udp.payload');
  });

  it('summarizes packets on one line', () => {
    expect(summarize(SYN)).toBe('tcp 198.51.100.10:40080 > 198.51.100.1:8080 [S] seq 5000 ip.len 44');
    expect(summarize(UNREACH)).toBe('icmp 172.17.0.1 > 172.17.0.3 type 3 code 3 quoting [udp 172.17.0.3:40053 > 198.51.100.10:53 ip.len 60] ip.len 88');
  });

  it('verifies checksums and names the broken one', () => {
    expect(badChecksums(SYN)).toEqual([]);
    expect(badChecksums(UNREACH)).toEqual([]);
    const a = SYN.slice();
    a[8] = 63; // TTL changed, IP checksum not fixed
    expect(badChecksums(a)).toEqual(['ip.checksum']);
    const b = SYN.slice();
    b[41] = 0x83; // MSS value changed, TCP checksum not fixed
    expect(badChecksums(b)).toEqual(['tcp.checksum']);
    const c = UNREACH.slice();
    c[87] ^= 1; // quoted payload byte: the ICMP checksum covers it
    expect(badChecksums(c)).toEqual(['icmp.checksum']);
  });

  it('recognizes ICMP the host generated (local source, DF clear) and nothing else', () => {
    const local = new Set([parseIpv4('172.17.0.1'), parseIpv4('198.51.100.1')]);
    expect(isHostIcmp(UNREACH, local)).toBe(true);
    expect(isHostIcmp(UNREACH, new Set([parseIpv4('198.51.100.1')]))).toBe(false);
    expect(isHostIcmp(SYN, local)).toBe(false);
    const df = UNREACH.slice();
    df[6] = 0x40;
    expect(isHostIcmp(df, local)).toBe(false);
  });
});

// Conntrack zones: the packed zone of a tuple, and how `conntrack -L -o extended` prints an entry's zone.
// The expected lines are the kernel's own, from recording 39-conntrack-zones.
import { describe, expect, it } from 'vitest';
import { packZone, zoneIdFor } from '../../../src/netfilter/conntrack/tuple.js';
import { formatConntrackEntry } from '../../../src/report/conntrack-text.js';
import type { CtEntryDump, CtTupleDump } from '../../../src/netfilter/conntrack/api.js';
import { CtStatus } from '../../../src/netfilter/skb.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';

const tuple = (src: string, dst: string, sport: number, dport: number, packets: number, bytes: number): CtTupleDump => ({
  src: parseIpv4(src), dst: parseIpv4(dst), sport, dport, icmpType: -1, icmpCode: -1, icmpId: -1, packets, bytes,
});

function udp(zone: number, orig: CtTupleDump, reply: CtTupleDump, timeout: number): CtEntryDump {
  return { id: 0, proto: 17, timeout, state: '', original: orig, reply, status: CtStatus.CONFIRMED | CtStatus.SEEN_REPLY, mark: 0, zone, use: 1, createdVcpu: 0, createdNs: 0, confirmedNs: 0 };
}

describe('conntrack zones', () => {
  it('a zone covers both directions, or only the one CT --zone-orig / --zone-reply named', () => {
    expect([zoneIdFor(packZone(7, 3), 0), zoneIdFor(packZone(7, 3), 1)]).toEqual([7, 7]);
    expect([zoneIdFor(packZone(9, 1), 0), zoneIdFor(packZone(9, 1), 1)]).toEqual([9, 0]);
    expect([zoneIdFor(packZone(9, 2), 0), zoneIdFor(packZone(9, 2), 1)]).toEqual([0, 9]);
    expect(packZone(0, 3)).toBe(0);
  });
  it('prints zone= after the mark, zone-orig= after the original tuple (as conntrack does)', () => {
    const both = udp(packZone(7, 3), tuple('172.18.0.2', '198.51.100.10', 49005, 9999, 2, 184), tuple('198.51.100.10', '198.51.100.1', 9999, 49005, 2, 184), 28);
    expect(formatConntrackEntry(both, { acct: true })).toBe(
      'ipv4     2 udp      17 28 src=172.18.0.2 dst=198.51.100.10 sport=49005 dport=9999 packets=2 bytes=184 src=198.51.100.10 dst=198.51.100.1 sport=9999 dport=49005 packets=2 bytes=184 mark=0 zone=7 use=1',
    );
    const orig = udp(packZone(9, 1), tuple('172.17.0.3', '198.51.100.10', 49003, 9999, 2, 184), tuple('198.51.100.10', '198.51.100.1', 9999, 49003, 2, 184), 29);
    expect(formatConntrackEntry(orig, { acct: true })).toBe(
      'ipv4     2 udp      17 29 src=172.17.0.3 dst=198.51.100.10 sport=49003 dport=9999 zone-orig=9 packets=2 bytes=184 src=198.51.100.10 dst=198.51.100.1 sport=9999 dport=49003 packets=2 bytes=184 mark=0 use=1',
    );
  });
});

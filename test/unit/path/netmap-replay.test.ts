// NETMAP through the whole datapath on the bundled Docker host: a /24 mapped onto another /24 in PREROUTING
// (destination) and in POSTROUTING (source), replies un-NATed by conntrack, the nat table consulted only
// for a connection's first packet (a later DNAT rule never runs), and conntrack -L showing both tuples.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayOptions, runReplay } from '../../../src/engine/replay.js';
import { writeSll2 } from '../../helpers/craft-sll2.js';
import { ipv4Offset, readCapture } from '../../helpers/oracle-pcap.js';
import { be16, be32 } from '../../../src/util/bytes.js';
import { formatIpv4 } from '../../../src/util/ipv4.js';

const HOST = path.resolve(__dirname, '..', '..', '..', 'captures', 'docker-host');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-netmap-'));

const RULES = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -d 203.0.113.0/24 -j NETMAP --to 172.17.0.0/24
-A PREROUTING -i eth0 -d 203.0.113.0/24 -j DNAT --to-destination 172.17.0.9
-A POSTROUTING -s 172.17.0.0/24 -o eth0 -j NETMAP --to 192.0.2.0/24
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`;

const GW_MAC = '02:00:c6:33:64:0a';
const C1_MAC = '02:42:ac:11:00:02';
const C2_MAC = '02:42:ac:11:00:03';

/** Every IPv4 packet sent on `iface` as "src:sport > dst:dport". */
function sent(out: string, iface: string): string[] {
  const file = path.join(out, 'tx', `${iface}.pcap`);
  if (!fs.existsSync(file)) return [];
  return readCapture(file).map((f) => {
    const o = ipv4Offset(f.linkType, f.data);
    const l4 = o + (f.data[o]! & 15) * 4;
    return `${formatIpv4(be32(f.data, o + 12))}:${be16(f.data, l4)} > ${formatIpv4(be32(f.data, o + 16))}:${be16(f.data, l4 + 2)}`;
  });
}

describe('NETMAP in the datapath', () => {
  const rules = path.join(tmp, 'rules.v4');
  fs.writeFileSync(rules, RULES);
  const capture = path.join(tmp, 'in.pcap');
  writeSll2(capture, [
    // an outside client to 203.0.113.2: mapped to 172.17.0.2 in PREROUTING
    { tNs: 1_000, ifindex: 2, pktType: 0, srcMac: GW_MAC, proto: 'udp', src: '198.51.100.10', dst: '203.0.113.2', sport: 40000, dport: 53, ipId: 1 },
    // the container's answer leaves eth0 from 203.0.113.2
    { tNs: 2_000_000, ifindex: 5, pktType: 3, srcMac: C1_MAC, proto: 'udp', src: '172.17.0.2', dst: '198.51.100.10', sport: 53, dport: 40000, ipId: 2 },
    // the client's second packet: no nat table walk, the binding applies
    { tNs: 3_000_000, ifindex: 2, pktType: 0, srcMac: GW_MAC, proto: 'udp', src: '198.51.100.10', dst: '203.0.113.2', sport: 40000, dport: 53, ipId: 3 },
    // container 172.17.0.3 to the outside: source mapped to 192.0.2.3 in POSTROUTING
    { tNs: 4_000_000, ifindex: 6, pktType: 3, srcMac: C2_MAC, proto: 'udp', src: '172.17.0.3', dst: '198.51.100.10', sport: 41000, dport: 5353, ipId: 4 },
    // the answer to 192.0.2.3 reaches 172.17.0.3
    { tNs: 5_000_000, ifindex: 2, pktType: 0, srcMac: GW_MAC, proto: 'udp', src: '198.51.100.10', dst: '192.0.2.3', sport: 5353, dport: 41000, ipId: 5 },
  ]);
  const out = path.join(tmp, 'out');
  const r = runReplay(replayOptions({ captures: [capture], rulesPath: rules, snapshotDir: path.join(HOST, 'host-snapshot'), outDir: out }, { prescan: false }));
  const saved = fs.readFileSync(path.join(out, 'iptables-save-c.txt'), 'utf8');
  const counter = (rule: string): string => /^\[(\d+:\d+)\]/.exec(saved.split('\n').find((l) => l.endsWith(rule)) ?? '')?.[1] ?? 'none';

  it('maps the destination in PREROUTING and un-NATs the reply source', () => {
    expect(r.report.drops.total).toBe(0);
    expect(sent(out, 'eth0')).toEqual(['203.0.113.2:53 > 198.51.100.10:40000', '192.0.2.3:41000 > 198.51.100.10:5353']);
    const toC1 = sent(out, 'vethc1');
    expect(toC1).toContain('198.51.100.10:40000 > 172.17.0.2:53');
    expect(toC1.filter((p) => p === '198.51.100.10:40000 > 172.17.0.2:53').length).toBe(2);
  });

  it('maps the source in POSTROUTING and un-NATs the reply destination', () => {
    expect(sent(out, 'vethc2')).toContain('198.51.100.10:5353 > 172.17.0.3:41000');
  });

  it('walks the nat table once per connection: NETMAP counts the first packet, the later DNAT nothing', () => {
    expect(counter('-A PREROUTING -d 203.0.113.0/24 -i eth0 -j NETMAP --to 172.17.0.0/24')).toBe('1:44');
    expect(counter('-A PREROUTING -d 203.0.113.0/24 -i eth0 -j DNAT --to-destination 172.17.0.9')).toBe('0:0');
    expect(counter('-A POSTROUTING -s 172.17.0.0/24 -o eth0 -j NETMAP --to 192.0.2.0/24')).toBe('1:44');
    expect(r.report.nat.bindings).toBe(2);
  });

  it('conntrack -L shows both mappings', () => {
    const ct = fs.readFileSync(path.join(out, 'conntrack-L.txt'), 'utf8');
    expect(ct).toMatch(/udp +17 \d+ src=198\.51\.100\.10 dst=203\.0\.113\.2 sport=40000 dport=53 .*src=172\.17\.0\.2 dst=198\.51\.100\.10 sport=53 dport=40000 /);
    expect(ct).toMatch(/udp +17 \d+ src=172\.17\.0\.3 dst=198\.51\.100\.10 sport=41000 dport=5353 .*src=198\.51\.100\.10 dst=192\.0\.2\.3 sport=5353 dport=41000 /);
  });
});

// Datapath behaviour the reference verified on a 6.18 kernel (netfilter-semantics 1.4 and 1.6), on the
// bundled Docker host: with ip_forward = 0 a packet to the outside crosses PREROUTING (nat counted) and is
// dropped silently in the route lookup — no ICMP, FORWARD never reached; with bridge-nf-call-iptables = 0
// bridged frames bypass iptables entirely (no FORWARD counters, no conntrack entry) and are still delivered.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayOptions, runReplay } from '../../src/engine/replay.js';
import { writeSll2 } from '../helpers/craft-sll2.js';

const HOST = path.resolve(__dirname, '..', '..', 'captures', 'docker-host');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-sysctl-'));

function replay(capture: string, sysctls: string[]) {
  const out = fs.mkdtempSync(path.join(tmp, 'out-'));
  const r = runReplay(replayOptions({ captures: [capture], rulesPath: path.join(HOST, 'rules.v4'), snapshotDir: path.join(HOST, 'host-snapshot'), outDir: out }, { sysctls }));
  const saved = fs.readFileSync(path.join(out, 'iptables-save-c.txt'), 'utf8');
  const counter = (rule: string): string => {
    const line = saved.split('\n').find((l) => l.endsWith(rule));
    if (line === undefined) throw new Error(`no rule ${rule}`);
    return /^\[(\d+:\d+)\]/.exec(line)![1]!;
  };
  return { r, out, counter, conntrack: fs.readFileSync(path.join(out, 'conntrack-L.txt'), 'utf8').trim() };
}

describe('sysctls that change the path', () => {
  const egress = path.join(tmp, 'egress.pcap');
  const bridged = path.join(tmp, 'bridged.pcap');
  writeSll2(egress, [{ tNs: 1000, ifindex: 5, pktType: 3, srcMac: '02:42:ac:11:00:02', proto: 'tcp', src: '172.17.0.2', dst: '198.51.100.10', sport: 41000, dport: 80, flags: 2, payload: 0 }]);
  // c2 → c1 on docker0: the frame is addressed to c1's MAC, which the bridge learns from c1's frame first
  writeSll2(bridged, [
    { tNs: 1000, ifindex: 5, pktType: 1, srcMac: '02:42:ac:11:00:02', proto: 'udp', src: '172.17.0.2', dst: '172.17.255.255', sport: 9, dport: 9 },
    { tNs: 5000, ifindex: 6, pktType: 3, srcMac: '02:42:ac:11:00:03', proto: 'tcp', src: '172.17.0.3', dst: '172.17.0.2', sport: 41001, dport: 80, flags: 2, payload: 0 },
  ]);

  it('forwarding on: the SYN leaves eth0 masqueraded', () => {
    const { r, counter } = replay(egress, []);
    expect(r.report.tx['eth0']).toBe(1);
    expect(counter('-A FORWARD -i docker0 ! -o docker0 -j ACCEPT')).toBe('1:40');
  });

  it('ip_forward = 0: dropped silently after PREROUTING, FORWARD not traversed, no conntrack entry', () => {
    const { r, counter, conntrack } = replay(egress, ['net.ipv4.ip_forward=0']);
    expect(r.report.tx['eth0']).toBeUndefined();
    expect(r.report.packets.hostAnswers).toBe(0);
    expect(r.report.drops.byReason).toEqual({ no_route: 1 });
    expect(r.report.drops.first[0]!.detail).toMatch(/forwarding disabled/);
    expect(r.report.verdictsPerHook['PREROUTING']!.accept).toBeGreaterThan(0);
    expect(r.report.verdictsPerHook['FORWARD']!.accept + r.report.verdictsPerHook['FORWARD']!.drop).toBe(0);
    expect(counter('-A FORWARD -j DOCKER-USER')).toBe('0:0');
    expect(conntrack).toBe('');
  });

  it('bridge-nf-call-iptables = 1: bridged frames go through FORWARD (each flooded copy too) and conntrack', () => {
    const { r, counter, conntrack } = replay(bridged, []);
    expect(r.report.tx['vethc1']).toBe(1);
    // the broadcast is flooded to vethc2 and vethc3 (two 44-byte copies), then the 40-byte SYN
    expect(counter('-A FORWARD -i docker0 -o docker0 -j ACCEPT')).toBe('3:128');
    expect(conntrack).toMatch(/src=172\.17\.0\.3 dst=172\.17\.0\.2 sport=41001 dport=80/);
  });

  it('bridge-nf-call-iptables = 0: bridged traffic bypasses iptables and is still delivered', () => {
    const { r, counter, conntrack } = replay(bridged, ['net.bridge.bridge-nf-call-iptables=0']);
    expect(r.report.tx['vethc1']).toBe(1);
    expect(counter('-A FORWARD -i docker0 -o docker0 -j ACCEPT')).toBe('0:0');
    expect(conntrack).not.toMatch(/dport=80/);
  });
});

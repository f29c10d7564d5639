// Every host snapshot the kernel oracle recorded loads, and agrees with the recorder's own topology.json
// (written independently from `ip -j` at recording time): names, ifindexes, MACs, MTUs, bridge membership.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { describeShared, ORACLE_DIR } from '../helpers/shared.js';
import { loadSnapshot } from '../../src/host/snapshot.js';
import { formatMac, parseIpv4 } from '../../src/util/ipv4.js';
import { AddrType } from '../../src/netfilter/skb.js';

interface TopoIface { name: string; ifindex: number; mac: string; mtu: number; master: string | null; addrs: string[] }

describeShared('host snapshots of the kernel oracle', () => {
  const capDir = path.join(ORACLE_DIR, 'captures');
  const dirs = fs.existsSync(capDir)
    ? fs.readdirSync(capDir).filter((d) => fs.existsSync(path.join(capDir, d, 'host-snapshot')))
    : [];
  it('has snapshots to check', () => expect(dirs.length).toBeGreaterThanOrEqual(9));
  for (const d of dirs) {
    it(`${d}: loads and matches topology.json`, () => {
      const host = loadSnapshot(path.join(capDir, d, 'host-snapshot'));
      const topo = JSON.parse(fs.readFileSync(path.join(capDir, d, 'topology.json'), 'utf8')) as { namespaces: Record<string, { interfaces: TopoIface[] }> };
      const ns = Object.entries(topo.namespaces).find(([name]) => name.endsWith('-host'))![1];
      for (const t of ns.interfaces) {
        const i = host.byName(t.name);
        expect(i, t.name).toBeDefined();
        expect(i!.ifindex).toBe(t.ifindex);
        expect(formatMac(i!.macHi, i!.macLo)).toBe(t.mac);
        expect(i!.mtu).toBe(t.mtu);
        expect(i!.master < 0 ? null : host.iface(i!.master).name).toBe(t.master);
        for (const a of t.addrs) expect(host.addrType(parseIpv4(a.split('/')[0]!), -1)).toBe(AddrType.LOCAL);
      }
      expect(host.sysctls.ipForward).toBe(1);
      expect(host.sysctls.bridgeNfCallIptables).toBe(1);
    });
  }
});

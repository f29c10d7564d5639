// Kernel agreement on nfreplay's own recordings (test/fixtures/oracle/captures, made by
// test/fixtures/oracle/record.sh on Linux 6.18): each scenario is replayed with `nfreplay replay` from its
// host-any.pcap, rules.v4 and host-snapshot/, and compared by the harness with what the kernel did: every IPv4
// packet sent on every interface, the iptables-save -c counters, conntrack -L and conntrack -S.
// Runs in `npm test` (which builds dist/ first); needs nothing outside the repository.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayAndCompare, scenarioInfo } from '../helpers/oracle.js';

const FIX = path.resolve(__dirname, '..', 'fixtures', 'oracle', 'captures');

describe('kernel agreement: own recordings', () => {
  const scenarios = fs.readdirSync(FIX).filter((d) => fs.existsSync(path.join(FIX, d, 'host-any.pcap'))).sort();

  it('has the forty-five recorded scenarios', () => {
    expect(scenarios).toEqual(['10-reject', '11-invalid-drop', '12-dnat-multi-backend', '13-local-answers-ttl', '14-kube-services', '15-routed-node', '16-kube-dns-udp', '17-icmp-related-nat', '18-no-br-netfilter', '19-lossy-transfer', '20-docker28-layout', '21-ipv6-enabled', '22-tcp-reopen-rst', '23-uplink-port-forward', '24-tcp-liberal-noloose', '25-flannel-host-gw', '26-conntrack-expiry', '27-broadcast-crossbridge', '28-bridged-uplink', '29-redirect-no-listener', '30-kube-session-affinity', '31-fragmented-udp-dnat', '32-route-mtu', '33-reverse-path', '34-untracked', '35-offloads-on', '36-busy-host', '37-owner-match', '38-udp-gso', '39-conntrack-zones', '40-conn-limits', '41-flannel-vxlan', '42-hashlimit', '43-vxlan-bridge-port', '44-many-matches', '45-many-targets', '46-ipsets', '47-conntrack-nat-details', '48-answer-rules', '49-policy-routing', '50-more-modules', '51-more-modules-2', '52-macvlan-shim', '53-docker-second-uplink', '54-ecmp-uplinks']);
  });

  for (const sc of scenarios) {
    it(`${sc}: nfreplay replay agrees with the kernel`, () => {
      const dir = path.join(FIX, sc);
      expect(scenarioInfo(dir).kernelTx).toBe('any');
      const res = replayAndCompare(dir);
      expect(res.run.status, res.text).toBe(0);
      expect(res.report!.failures, res.text).toEqual([]);
      expect(res.report!.compared.packets, res.text).toBeGreaterThan(0);
    });
  }
});

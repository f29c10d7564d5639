// -m time in a replay reads the capture's clock: the first packet's timestamp plus the packet's virtual time
// (the crafted capture starts at 2023-11-14T22:13:20Z, a Tuesday), never the host's wall clock.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayOptions, runReplay } from '../../../src/engine/replay.js';
import { writeSll2 } from '../../helpers/craft-sll2.js';

const HOST = path.resolve(__dirname, '..', '..', '..', 'captures', 'docker-host');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-time-'));

const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -i eth0 -m time --timestart 22:13:21 --timestop 22:13:22 --weekdays Tue --datestart 2023-11-14 --datestop 2023-11-15 -j DROP
COMMIT
`;

describe('-m time in the datapath', () => {
  const rules = path.join(tmp, 'rules.v4');
  fs.writeFileSync(rules, RULES);
  const capture = path.join(tmp, 'in.pcap');
  const from = (tNs: number, ipId: number) => ({
    tNs, ifindex: 2, pktType: 0, srcMac: '02:00:c6:33:64:0a', proto: 'udp' as const, src: '198.51.100.10', dst: '172.17.0.2', sport: 40000 + ipId, dport: 53, ipId,
  });
  // 22:13:20.0 passes, 22:13:21.0 and 22:13:22.999 are dropped, 22:13:23.0 passes
  writeSll2(capture, [from(0, 1), from(1e9, 2), from(2.999e9, 3), from(3e9, 4)]);

  it('drops exactly the packets inside the daytime window of the capture date', () => {
    const out = fs.mkdtempSync(path.join(tmp, 'out-'));
    const r = runReplay(replayOptions({ captures: [capture], rulesPath: rules, snapshotDir: path.join(HOST, 'host-snapshot'), outDir: out }, { prescan: false }));
    const saved = fs.readFileSync(path.join(out, 'iptables-save-c.txt'), 'utf8');
    expect(r.report.drops.total).toBe(2);
    expect(saved).toContain('[2:88] -A FORWARD -i eth0 -m time --timestart 22:13:21 --timestop 22:13:22 --weekdays Tue --datestart 2023-11-14T00:00:00 --datestop 2023-11-15T00:00:00 -j DROP');
  });
});

// The SET target in a replay: a packet to port 9 puts its source in a timeout set, `-m set` then drops that
// source's forwarded packets until the element expires on the capture's clock. The sets a replay changes are
// its own: a second replay in the same process starts again from the snapshot's ipset-save.txt.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayOptions, runReplay } from '../../../src/engine/replay.js';
import { writeSll2 } from '../../helpers/craft-sll2.js';

const HOST = path.resolve(__dirname, '..', '..', '..', 'captures', 'docker-host');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-set-'));

const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -i eth0 -m set --match-set knocked src -j DROP
-A FORWARD -i eth0 -p udp -m udp --dport 9 -j SET --add-set knocked src
COMMIT
`;

const SETS = 'create knocked hash:ip family inet hashsize 1024 maxelem 65536 timeout 2\n';

describe('SET in the datapath', () => {
  const snapshot = path.join(tmp, 'host-snapshot');
  fs.cpSync(path.join(HOST, 'host-snapshot'), snapshot, { recursive: true });
  fs.writeFileSync(path.join(snapshot, 'ipset-save.txt'), SETS);
  const rules = path.join(tmp, 'rules.v4');
  fs.writeFileSync(rules, RULES);
  const capture = path.join(tmp, 'in.pcap');
  const from = (tNs: number, dport: number, ipId: number) => ({
    tNs, ifindex: 2, pktType: 0, srcMac: '02:00:c6:33:64:0a', proto: 'udp' as const, src: '198.51.100.10', dst: '172.17.0.2', sport: 40000 + ipId, dport, ipId,
  });
  // knock at 0 s; dropped at 1 s and 2 s (the deadline itself); passes again at 2.5 s
  writeSll2(capture, [from(1_000, 9, 1), from(1e9, 53, 2), from(2e9, 53, 3), from(2.5e9, 53, 4)]);

  const replay = () => {
    const out = fs.mkdtempSync(path.join(tmp, 'out-'));
    const r = runReplay(replayOptions({ captures: [capture], rulesPath: rules, snapshotDir: snapshot, outDir: out }, { prescan: false }));
    const saved = fs.readFileSync(path.join(out, 'iptables-save-c.txt'), 'utf8');
    const counter = (rule: string): string => /^\[(\d+:\d+)\]/.exec(saved.split('\n').find((l) => l.endsWith(rule)) ?? '')?.[1] ?? 'none';
    return { r, counter };
  };

  it('adds at packet time, -m set sees it until the timeout runs out', () => {
    const { r, counter } = replay();
    expect(r.report.drops.total).toBe(2);
    expect(counter('-A FORWARD -i eth0 -m set --match-set knocked src -j DROP')).toBe('2:88');
    expect(counter('-A FORWARD -i eth0 -p udp -m udp --dport 9 -j SET --add-set knocked src')).toBe('1:44');
  });

  it('a second replay in the same process starts from the supplied sets', () => {
    expect(replay().r.report.drops.total).toBe(2);
  });
});

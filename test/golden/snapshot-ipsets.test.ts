// `-m set` rules take their sets from the snapshot's ipset-save.txt (what `nfreplay snapshot` collects with
// `ipset save`), unless --ipsets names another file; without either the set is an error naming the rule.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayOptions, runReplay } from '../../src/engine/replay.js';

const HOST = path.resolve(__dirname, '..', '..', 'captures', 'docker-host');
const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m set --match-set blocked src -j DROP
COMMIT
`;

function setup(sets: string | null): { rules: string; snapshot: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-ipsets-'));
  const snapshot = path.join(dir, 'host-snapshot');
  fs.cpSync(path.join(HOST, 'host-snapshot'), snapshot, { recursive: true });
  if (sets !== null) fs.writeFileSync(path.join(snapshot, 'ipset-save.txt'), sets);
  const rules = path.join(dir, 'rules.v4');
  fs.writeFileSync(rules, RULES);
  return { rules, snapshot };
}

function dropped(rules: string, snapshot: string, ipsetsPath: string | null = null): number {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-ipsets-out-'));
  const r = runReplay(replayOptions({ captures: [path.join(HOST, 'host-any.pcap')], rulesPath: rules, snapshotDir: snapshot, outDir: out }, { ipsetsPath }));
  return r.report.drops.total;
}

describe('ipsets from the snapshot', () => {
  const BLOCK_C2 = 'create blocked hash:ip family inet hashsize 1024 maxelem 65536\nadd blocked 172.17.0.3\n';

  it("uses the snapshot's ipset-save.txt: c2's forwarded packets are dropped", () => {
    const { rules, snapshot } = setup(BLOCK_C2);
    expect(dropped(rules, snapshot)).toBeGreaterThan(0);
  });

  it('--ipsets overrides it (an empty set drops nothing)', () => {
    const { rules, snapshot } = setup(BLOCK_C2);
    const empty = path.join(path.dirname(snapshot), 'empty.txt');
    fs.writeFileSync(empty, 'create blocked hash:ip family inet hashsize 1024 maxelem 65536\n');
    expect(dropped(rules, snapshot, empty)).toBe(0);
  });

  it('without either, the set is an error naming the rule', () => {
    const { rules, snapshot } = setup(null);
    expect(() => dropped(rules, snapshot)).toThrow(/ipset `blocked' is not known: .*--ipsets FILE/);
  });
});

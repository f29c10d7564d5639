// `--trace N` shows the route each lookup gave and the ip rule that chose it: on the policy-routing
// recording, a pod's SYN routed by its from-rule, a prohibit rule, an unreachable rule, and the host's
// answer routed by the main table.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayOptions, runReplay } from '../../src/engine/replay.js';

const SC = path.resolve(__dirname, '..', 'fixtures', 'oracle', 'captures', '49-policy-routing');

function trace(index: number): string[] {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-trace-route-'));
  const lines: string[] = [];
  runReplay(replayOptions({ captures: [path.join(SC, 'host-any.pcap')], rulesPath: path.join(SC, 'rules.v4'), snapshotDir: path.join(SC, 'host-snapshot'), outDir: out }, { traceIndex: index, traceOut: (l) => lines.push(l), writeTx: false }));
  fs.rmSync(out, { recursive: true, force: true });
  return lines.filter((l) => l.includes('route:'));
}

describe('--trace shows routing decisions', () => {
  it('names the table and the ip rule of each lookup', () => {
    expect(trace(20)).toEqual(['  route: input: unicast 10.99.0.0/16 via 192.0.2.20 dev eth1 (table 200, ip rule 200)']);
    expect(trace(44)).toEqual(['  route: input: prohibit by ip rule 300', '  route: output: unicast 10.244.1.3/32 dev cali2 (table main, ip rule 32766)']);
    expect(trace(45)[0]).toBe('  route: input: unreachable by ip rule 301');
  });
});

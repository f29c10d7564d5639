// A VXLAN host whose snapshot has no `bridge fdb` (bridge-fdb.json is optional, and older snapshots lack it):
// the replay learns each inner destination MAC's remote VTEP from the host's encapsulated transmissions in
// the capture, and must agree with the kernel exactly as with the FDB (recording 41-flannel-vxlan).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayAndCompare } from '../helpers/oracle.js';

const DIR = path.resolve(__dirname, '..', 'fixtures', 'oracle', 'captures', '41-flannel-vxlan');

describe('VXLAN remotes learned from the capture', () => {
  it('41-flannel-vxlan without bridge-fdb.json agrees with the kernel', () => {
    const snap = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-vxlan-snap-'));
    fs.cpSync(path.join(DIR, 'host-snapshot'), snap, { recursive: true });
    expect(fs.existsSync(path.join(snap, 'bridge-fdb.json'))).toBe(true);
    fs.rmSync(path.join(snap, 'bridge-fdb.json'));
    const res = replayAndCompare(DIR, {}, ['--snapshot', snap]);
    expect(res.run.status, res.text).toBe(0);
    expect(res.run.command).toContain(snap);
    expect(res.report!.failures, res.text).toEqual([]);
    expect(res.report!.compared.packets, res.text).toBeGreaterThan(0);
  });
});

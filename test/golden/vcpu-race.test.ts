// The vCPU model (ARCHITECTURE.md) in the reference executor, on the bundled Docker host: two containers on
// different bridge ports send UDP from the same source port to the same server 1 µs apart — less than the
// 2 µs service time. On two vCPUs (steering by ingress interface) neither sees the other's unconfirmed
// entry, both keep port 5000 for MASQUERADE, and the later one loses at confirm: insert_failed and drop on
// its vCPU (the kernel's SNAT race, reference 6.4). On one vCPU the second is remapped instead. Outputs
// repeat byte for byte for a seed.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayOptions, runReplay } from '../../src/engine/replay.js';
import type { ReplayOptions } from '../../src/engine/replay.js';
import { writeSll2 } from '../helpers/craft-sll2.js';

const HOST = path.resolve(__dirname, '..', '..', 'captures', 'docker-host');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-vcpu-'));
const capture = path.join(tmp, 'race.pcap');

function opts(over: Partial<ReplayOptions>): ReplayOptions {
  const required = { captures: [capture], rulesPath: path.join(HOST, 'rules.v4'), snapshotDir: path.join(HOST, 'host-snapshot'), outDir: fs.mkdtempSync(path.join(tmp, 'out-')) };
  return replayOptions(required, { steering: 'iface', seed: 7, ...over });
}

function ctStats(out: string): { cpu: number; insertFailed: number; drop: number }[] {
  return fs
    .readFileSync(path.join(out, 'conntrack-S.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => ({ cpu: Number(/cpu=(\d+)/.exec(l)![1]), insertFailed: Number(/insert_failed=(\d+)/.exec(l)![1]), drop: Number(/ drop=(\d+)/.exec(l)![1]) }));
}

function digest(out: string): string {
  const h = crypto.createHash('sha256');
  for (const f of ['conntrack-L.txt', 'conntrack-S.txt', 'iptables-save-c.txt', 'tx/eth0.pcap', 'drops.pcapng']) {
    const p = path.join(out, f);
    h.update(f);
    if (fs.existsSync(p)) h.update(fs.readFileSync(p));
  }
  return h.digest('hex');
}

beforeAll(() => {
  // c1 (vethc1, ifindex 5) and c2 (vethc2, ifindex 6) → 198.51.100.10:9999 from port 5000, 1 µs apart
  writeSll2(capture, [
    { tNs: 1000, ifindex: 5, pktType: 3, srcMac: '02:42:ac:11:00:02', proto: 'udp', src: '172.17.0.2', dst: '198.51.100.10', sport: 5000, dport: 9999, ipId: 11 },
    { tNs: 2000, ifindex: 6, pktType: 3, srcMac: '02:42:ac:11:00:03', proto: 'udp', src: '172.17.0.3', dst: '198.51.100.10', sport: 5000, dport: 9999, ipId: 22 },
  ]);
});

describe('vCPU model', () => {
  it('two vCPUs: the later of two racing flows loses at confirm (insert_failed, drop)', () => {
    const o = opts({ cpus: 2 });
    const r = runReplay(o);
    const s = ctStats(o.outDir);
    expect(s.map((x) => x.cpu)).toEqual([0, 1]);
    // vethc1 is steered to vCPU 0, vethc2 to vCPU 1: the second packet's vCPU counts the failure
    expect(s[1]).toMatchObject({ insertFailed: 1, drop: 1 });
    expect(s[0]).toMatchObject({ insertFailed: 0, drop: 0 });
    expect(r.report.drops.byReason).toEqual({ insert_failed: 1 });
    expect(fs.readFileSync(path.join(o.outDir, 'conntrack-L.txt'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('one vCPU: the second flow sees the first and is remapped; both leave', () => {
    const o = opts({ cpus: 1 });
    const r = runReplay(o);
    expect(r.report.drops.total).toBe(0);
    const lines = fs.readFileSync(path.join(o.outDir, 'conntrack-L.txt'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const mapped = lines.map((l) => Number([...l.matchAll(/dport=(\d+)/g)][1]![1]));
    expect(mapped).toContain(5000);
    expect(mapped.find((p) => p !== 5000)).toBeGreaterThanOrEqual(1024);
    expect(r.report.tx['eth0']).toBe(2);
  });

  it('two vCPUs more than the service time apart do not race', () => {
    const o = opts({ cpus: 2, serviceNs: 500 });
    expect(runReplay(o).report.drops.total).toBe(0);
  });

  it('is deterministic for a seed', () => {
    const a = opts({ cpus: 1, seed: 3 });
    const b = opts({ cpus: 1, seed: 3 });
    runReplay(a);
    runReplay(b);
    expect(digest(a.outDir)).toBe(digest(b.outDir));
  });
});

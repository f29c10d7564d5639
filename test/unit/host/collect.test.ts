// Collects a snapshot from a real network namespace built for the test (a bridge with a veth port, an
// address and a route), loads it back and checks what the kernel was told to configure.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSnapshot } from '../../../src/host/collect.js';
import { loadSnapshot } from '../../../src/host/snapshot.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';

const NS = `nfr-snaptest-${process.pid}`;
const canRun = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function sh(args: string[]): void {
  execFileSync('ip', ['netns', 'exec', NS, ...args], { stdio: 'ignore' });
}

if (!canRun) process.stderr.write(`\n*** snapshot collection test needs root and iproute2 (network namespaces); NOT run here ***\n`);

const TITLE = 'nfreplay snapshot on a live namespace';
// without root and iproute2 the suite is skipped under a title that says why (and the line above says it loudly)
(canRun ? describe : describe.skip)(canRun ? TITLE : `${TITLE} [SKIPPED: needs root and iproute2]`, () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', NS]);
    sh(['ip', 'link', 'set', 'lo', 'up']);
    sh(['ip', 'link', 'add', 'br-test', 'type', 'bridge']);
    sh(['ip', 'link', 'add', 'vtest0', 'mtu', '1400', 'type', 'veth', 'peer', 'name', 'vtest1']);
    sh(['ip', 'link', 'set', 'vtest0', 'master', 'br-test']);
    sh(['ip', 'addr', 'add', '10.123.0.1/24', 'dev', 'br-test']);
    for (const d of ['br-test', 'vtest0', 'vtest1']) sh(['ip', 'link', 'set', d, 'up']);
    sh(['ip', 'route', 'add', '10.124.0.0/16', 'via', '10.123.0.9', 'dev', 'br-test']);
    // a VXLAN device (flannel-style: no learning) and the FDB entry of a remote VTEP
    sh(['ip', 'link', 'add', 'vx-test', 'address', '0e:00:00:00:aa:01', 'type', 'vxlan', 'id', '42', 'local', '10.123.0.1', 'dev', 'br-test', 'dstport', '4789', 'nolearning']);
    sh(['bridge', 'fdb', 'append', '0e:00:00:00:aa:0a', 'dev', 'vx-test', 'dst', '10.123.0.7']);
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', NS]);
  });

  it('collects files that load into the same topology', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-collect-'));
    const res = collectSnapshot(dir, { netns: NS });
    // ipset-save.txt only where ipset is installed
    const ipset = (process.env['PATH'] ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, 'ipset')));
    const want = ['bridge-fdb.json', 'bridge-link.json', 'ip-addr.json', 'ip-maddr.json', 'ip-neigh.json', 'ip-route.json', 'ip-rule.json', 'ss-listen.txt', 'sysctl.txt'];
    expect(res.files.map((f) => path.basename(f)).sort()).toEqual((ipset ? [...want, 'ipset-save.txt'] : want).sort());
    const host = loadSnapshot(dir);
    const br = host.byName('br-test')!;
    const port = host.byName('vtest0')!;
    expect(br.kind).toBe('bridge');
    expect(port.master).toBe(br.id);
    expect(port.mtu).toBe(1400);
    expect(host.fib.lookup(parseIpv4('10.124.5.5'))!.gateway).toBe(parseIpv4('10.123.0.9'));
    expect(host.fib.isLocal(parseIpv4('10.123.0.1'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'sysctl.txt'), 'utf8')).toMatch(/^net\.ipv4\.ip_forward = 0$/m);
    expect(fs.readFileSync(path.join(dir, 'sysctl.txt'), 'utf8')).toMatch(/^net\.ipv4\.conf\.br-test\.send_redirects = 1$/m);
    const vx = host.byName('vx-test')!;
    expect(vx.kind).toBe('vxlan');
    expect(vx.vxlan).toMatchObject({ vni: 42, port: 4789, learning: false, local: parseIpv4('10.123.0.1'), link: 'br-test' });
    expect([...vx.vxlan!.fdb.entries()]).toEqual([[0x0e00 * 4294967296 + 0x0000aa0a, parseIpv4('10.123.0.7')]]);
    // the bridge is up, so it has joined the all-hosts group
    expect(host.joinedGroup(br.id, parseIpv4('224.0.0.1'))).toBe(true);
  });
});

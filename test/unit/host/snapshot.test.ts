import { describe, expect, it, beforeEach } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSnapshot } from '../../../src/host/snapshot.js';
import { parseIpv4 as ip } from '../../../src/util/ipv4.js';
import { AddrType, NONE } from '../../../src/netfilter/skb.js';
import { SnapshotError } from '../../../src/util/errors.js';
import { devConf, devConfOn } from '../../../src/host/sysctl.js';
import { validateSource } from '../../../src/netfilter/path/route.js';
import type { Datapath } from '../../../src/netfilter/path/datapath.js';
import type { Pkt } from '../../../src/netfilter/path/pkt.js';
import { RouteKey } from '../../../src/host/fib-rules.js';

// A small Docker-like host written the way `ip -j -d addr` / `ip -j route show table all` print it.
const ADDR = [
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536, link_type: 'loopback', address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
  { ifindex: 2, ifname: 'eth0', flags: ['UP'], mtu: 1450, link_type: 'ether', address: '02:00:c6:33:64:01', linkinfo: { info_kind: 'veth' },
    addr_info: [{ family: 'inet', local: '198.51.100.1', prefixlen: 24, scope: 'global' }, { family: 'inet', local: '198.51.100.7', prefixlen: 24, scope: 'global', secondary: true }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
  { ifindex: 3, ifname: 'docker0', flags: ['UP'], mtu: 1500, link_type: 'ether', address: '02:42:5a:00:00:01', linkinfo: { info_kind: 'bridge', info_data: { nf_call_iptables: 0 } },
    addr_info: [{ family: 'inet', local: '172.17.0.1', prefixlen: 16, scope: 'global' }] },
  { ifindex: 5, ifname: 'vethc1', flags: ['UP'], mtu: 1500, link_type: 'ether', address: '66:00:00:00:00:01', master: 'docker0',
    linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge', info_slave_data: { state: 'forwarding', hairpin: true, learning: true } }, addr_info: [] },
];
const ROUTE = [
  { dst: 'default', gateway: '198.51.100.10', dev: 'eth0', flags: [] },
  { dst: '172.17.0.0/16', dev: 'docker0', protocol: 'kernel', scope: 'link', prefsrc: '172.17.0.1', flags: [] },
  { dst: '198.51.100.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '198.51.100.1', flags: [] },
  { dst: '10.99.0.0/16', dev: 'eth0', gateway: '198.51.100.20', metrics: [{ mtu: 1300 }], flags: [] },
  { type: 'blackhole', dst: '10.66.0.0/16', flags: [] },
  { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local', scope: 'host', prefsrc: '127.0.0.1', flags: [] },
  { type: 'local', dst: '172.17.0.1', dev: 'docker0', table: 'local', scope: 'host', prefsrc: '172.17.0.1', flags: [] },
  { type: 'broadcast', dst: '172.17.255.255', dev: 'docker0', table: 'local', scope: 'link', prefsrc: '172.17.0.1', flags: [] },
  { type: 'local', dst: '198.51.100.1', dev: 'eth0', table: 'local', scope: 'host', prefsrc: '198.51.100.1', flags: [] },
  { type: 'local', dst: '198.51.100.7', dev: 'eth0', table: 'local', scope: 'host', prefsrc: '198.51.100.1', flags: [] },
  { dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', flags: [] },
];

let dir = '';
function write(files: Record<string, unknown>): string {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-snap-'));
});

describe('host snapshot', () => {
  it('builds interfaces, bridges and ports', () => {
    const h = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE, 'sysctl.txt': 'net.ipv4.ip_forward = 1\n' }));
    const br = h.byName('docker0')!;
    const port = h.byName('vethc1')!;
    expect(br.kind).toBe('bridge');
    expect(port.master).toBe(br.id);
    expect(br.ports).toEqual([port.id]);
    expect(port.hairpin).toBe(true);
    expect(h.byIndex(5)).toBe(port);
    expect(h.byName('eth0')!.addrs.map((a) => a.secondary)).toEqual([false, true]);
    expect(h.sysctls.ipForward).toBe(1);
    expect(h.names.lookup('docker0')).toBe(br.id);
  });

  it('ignores the IPv6 routes `ip route show table all` lists, "default" ones included', () => {
    const v6 = [
      { dst: 'default', gateway: 'fd00::1', dev: 'eth0', protocol: 'static', metric: 1024, flags: [], pref: 'medium' },
      { dst: 'default', dev: 'docker0', metric: 1024, flags: [], pref: 'medium' },
      { dst: 'fd00::/64', dev: 'eth0', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
      { type: 'local', dst: 'fd00::2', dev: 'eth0', table: 'local', protocol: 'kernel', metric: 0, flags: [], pref: 'medium' },
      { type: 'multicast', dst: 'ff00::/8', dev: 'eth0', table: 'local', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
    ];
    const h = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': [...ROUTE, ...v6] }));
    const plain = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE }));
    expect(h.routes).toEqual(plain.routes);
    // the IPv4 default route is still the one via 198.51.100.10
    expect(h.fib.lookup(ip('8.8.8.8'))!.gateway).toBe(ip('198.51.100.10'));
  });

  it('reads send_redirects and shared_media for all devices and per device (conf.default seeds only new ones)', () => {
    const h = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE, 'sysctl.txt':
      'net.ipv4.conf.all.send_redirects = 0\nnet.ipv4.conf.default.send_redirects = 0\nnet.ipv4.conf.eth0.send_redirects = 0\nnet.ipv4.conf.docker0.shared_media = 0\n' }));
    expect(devConfOn(h.sysctls, 'eth0', 'send_redirects')).toBe(false);
    expect(devConfOn(h.sysctls, 'docker0', 'send_redirects')).toBe(true); // its own value stays 1
    expect(devConfOn(h.sysctls, 'docker0', 'shared_media')).toBe(true); // conf.all.shared_media is still 1
    expect(() => loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE, 'sysctl.txt': 'net.ipv4.conf.eth0.send_redirects = yes\n' }))).toThrow(SnapshotError);
  });

  it('combines rp_filter as the larger of conf.all and the device, accept_local and route_localnet as either', () => {
    const h = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE, 'sysctl.txt':
      'net.ipv4.conf.all.rp_filter = 1\nnet.ipv4.conf.eth0.rp_filter = 2\nnet.ipv4.conf.docker0.accept_local = 1\nnet.ipv4.conf.all.route_localnet = 1\n' }));
    expect([devConf(h.sysctls, 'eth0', 'rp_filter'), devConf(h.sysctls, 'docker0', 'rp_filter')]).toEqual([2, 1]);
    expect([devConfOn(h.sysctls, 'docker0', 'accept_local'), devConfOn(h.sysctls, 'eth0', 'accept_local')]).toEqual([true, false]);
    expect(devConfOn(h.sysctls, 'eth0', 'route_localnet')).toBe(true);
    const plain = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE, 'sysctl.txt': '' }));
    expect([devConf(plain.sysctls, 'eth0', 'rp_filter'), devConf(plain.sysctls, 'eth0', 'accept_local')]).toEqual([0, 0]);
  });

  it('validates sources as fib_validate_source: host addresses always, routes back per rp_filter', () => {
    // the kernel's own local routes: without rp_filter only the host's addresses are refused, not looked up
    const kernelLocal = ROUTE.map((r) => (r.type === 'local' ? { ...r, protocol: 'kernel' } : r));
    const load = (sysctl: string, routes: unknown[] = kernelLocal) => {
      const host = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': routes, 'sysctl.txt': sysctl }));
      const dp = { host, lo: host.byName('lo')!.id } as unknown as Datapath;
      const dev = (n: string): number => host.byName(n)!.id;
      const pkt = (src: string) => ({ meta: { saddr: ip(src), daddr: ip('198.51.100.1'), ipTos: 0, ipProto: 17, l4Off: -1 }, mark: 0 }) as unknown as Pkt;
      return (src: string, inDev: string, outDev = ''): number => validateSource(dp, pkt(src), dev(inDev), outDev === '' ? NONE : dev(outDev));
    };
    const off = load('');
    expect(off('172.17.0.1', 'eth0')).toBeLessThan(0); // a host address from outside: martian
    expect(off('198.51.100.7', 'docker0')).toBeLessThan(0); // secondaries too
    expect(off('172.17.0.9', 'eth0')).toBe(0); // no rp_filter: any other source
    expect(off('172.17.255.255', 'lo')).toBe(0); // delivered locally on interface 0: still no route lookup
    expect(load('net.ipv4.conf.eth0.accept_local = 1\n')('172.17.0.1', 'eth0')).toBe(0);
    expect(load('', ROUTE)('172.17.0.1', 'eth0')).toBeLessThan(0); // custom local routes: the FIB says local
    const strict = load('net.ipv4.conf.eth0.rp_filter = 1\n');
    expect(strict('172.17.0.9', 'eth0')).toBeLessThan(0); // the route back leaves by docker0
    expect(strict('8.8.8.8', 'eth0')).toBe(0); // back by the default route via a gateway
    expect(strict('198.51.100.99', 'eth0')).toBe(1); // directly connected
    expect(strict('10.66.0.1', 'eth0')).toBeLessThan(0); // a blackhole route back is no route
    const loose = load('net.ipv4.conf.eth0.rp_filter = 2\n');
    expect(loose('172.17.0.9', 'eth0')).toBe(0);
    expect(loose('10.66.0.1', 'eth0')).toBeLessThan(0);
    // a redirect candidate (in and out by eth0, send_redirects on by default) gets the full check
    expect(off('198.51.100.99', 'eth0', 'eth0')).toBe(1);
    expect(off('8.8.8.8', 'eth0', 'eth0')).toBe(0);
  });

  it('knows a local route someone added (not the kernel) and looks up routes through one device', () => {
    const plain = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE }));
    expect(plain.fib.customLocalRoutes).toBe(true); // the fixture's local routes carry no protocol (boot)
    const kernelOnly = ROUTE.map((r) => (r.type === 'local' ? { ...r, protocol: 'kernel' } : r));
    const h = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': kernelOnly }));
    expect(h.fib.customLocalRoutes).toBe(false);
    const via = (addr: string, dev: string) => {
      const k = new RouteKey().plain(ip(addr));
      k.oif = h.byName(dev)!.id;
      return h.fib.route(k);
    };
    expect(via('172.17.3.3', 'eth0')!.gateway).toBe(ip('198.51.100.10'));
    expect(via('172.17.3.3', 'docker0')!.prefixLen).toBe(16);
    expect(via('8.8.8.8', 'docker0')).toBeNull();
  });

  it('takes the multicast groups joined from ip-maddr.json, and without it only 224.0.0.1', () => {
    const plain = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE }));
    const eth0 = plain.byName('eth0')!.id;
    expect([plain.joinedGroup(eth0, ip('224.0.0.1')), plain.joinedGroup(eth0, ip('224.0.0.251'))]).toEqual([true, false]);
    const maddr = [
      { ifindex: 2, ifname: 'eth0', maddr: [{ link: '01:00:5e:00:00:01' }, { family: 'inet', address: '224.0.0.251' }, { family: 'inet', address: '224.0.0.1' }, { family: 'inet6', address: 'ff02::1' }] },
    ];
    const h = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE, 'ip-maddr.json': maddr }));
    expect(h.joinedGroup(eth0, ip('224.0.0.251'))).toBe(true);
    expect(h.joinedGroup(h.byName('docker0')!.id, ip('224.0.0.1'))).toBe(false); // listed nowhere: none joined
    expect(() => loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE, 'ip-maddr.json': [{ ifname: 'wlan9', maddr: [] }] }))).toThrow(/wlan9/);
  });

  it('does longest-prefix match with local routes first', () => {
    const h = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE }));
    const eth0 = h.byName('eth0')!.id;
    expect(h.fib.lookup(ip('8.8.8.8'))!.gateway).toBe(ip('198.51.100.10'));
    expect(h.fib.lookup(ip('172.17.0.2'))!.dev).toBe(h.byName('docker0')!.id);
    expect(h.fib.lookup(ip('172.17.0.1'))!.table).toBe('local');
    const r = h.fib.lookup(ip('10.99.1.1'))!;
    expect(r.gateway).toBe(ip('198.51.100.20'));
    expect(h.routeMtu(r)).toBe(1300);
    expect(h.routeMtu(h.fib.lookup(ip('8.8.8.8'))!)).toBe(1450);
    expect(h.fib.lookup(ip('198.51.100.9'))!.dev).toBe(eth0);
  });

  it('gives address types as xt_addrtype does', () => {
    const h = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE }));
    const docker0 = h.byName('docker0')!.id;
    const eth0 = h.byName('eth0')!.id;
    expect(h.addrType(ip('198.51.100.1'), -1)).toBe(AddrType.LOCAL);
    expect(h.addrType(ip('198.51.100.7'), -1)).toBe(AddrType.LOCAL); // secondaries are local too
    expect(h.addrType(ip('127.0.0.5'), -1)).toBe(AddrType.LOCAL);
    expect(h.addrType(ip('172.17.0.1'), docker0)).toBe(AddrType.LOCAL);
    expect(h.addrType(ip('172.17.0.1'), eth0)).toBe(AddrType.UNICAST); // limited to another device
    expect(h.addrType(ip('172.17.255.255'), -1)).toBe(AddrType.BROADCAST);
    expect(h.addrType(ip('8.8.8.8'), -1)).toBe(AddrType.UNICAST);
    expect(h.addrType(ip('10.66.1.1'), -1)).toBe(AddrType.BLACKHOLE);
    expect(h.addrType(ip('239.1.1.1'), -1)).toBe(AddrType.MULTICAST);
    expect(h.addrType(0, -1)).toBe(AddrType.BROADCAST);
  });

  it('selects source addresses as inet_select_addr does', () => {
    const h = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE }));
    const eth0 = h.byName('eth0')!.id;
    // primary in the next hop's subnet; the secondary is never chosen
    expect(h.selectAddr(eth0, ip('198.51.100.10'), 0)).toBe(ip('198.51.100.1'));
    // next hop outside every subnet: first primary of the device
    expect(h.selectAddr(eth0, ip('10.0.0.1'), 0)).toBe(ip('198.51.100.1'));
    // a device without addresses borrows a universe-scope address elsewhere
    expect(h.selectAddr(h.byName('vethc1')!.id, ip('172.17.0.2'), 0)).toBe(ip('198.51.100.1'));
  });

  it('reads listening sockets from ss output', () => {
    const ss = 'tcp   LISTEN 0      4096         0.0.0.0:22        0.0.0.0:*\n' +
      'udp   UNCONN 0      0      127.0.0.53%lo:53        0.0.0.0:*\n' +
      'tcp   LISTEN 0      511             [::]:80           [::]:*\n' +
      'tcp   LISTEN 0      511       [fe80::1]:81           [::]:*\n';
    const h = loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE, 'ss-listen.txt': ss }));
    expect(h.isListening(6, ip('198.51.100.1'), 22)).toBe(true);
    expect(h.isListening(6, ip('198.51.100.1'), 80)).toBe(true);
    expect(h.isListening(6, ip('198.51.100.1'), 81)).toBe(false);
    expect(h.isListening(17, ip('127.0.0.53'), 53)).toBe(true);
    expect(h.isListening(17, ip('198.51.100.1'), 53)).toBe(false);
  });
});

describe('host snapshot errors name the file and the entry', () => {
  function expectError(files: Record<string, unknown>, code: string, file: string, record?: number, text?: RegExp): void {
    try {
      loadSnapshot(write(files));
    } catch (e) {
      expect(e).toBeInstanceOf(SnapshotError);
      const err = e as SnapshotError;
      expect(err.code).toBe(code);
      expect(err.path).toBe(path.join(dir, file));
      if (record !== undefined) expect(err.record).toBe(record);
      if (text) expect(err.message).toMatch(text);
      return;
    }
    throw new Error('expected an error');
  }

  it('a port whose bridge is missing', () => {
    const addr = ADDR.map((a) => (a.ifname === 'vethc1' ? { ...a, master: 'br-missing' } : a));
    expectError({ 'ip-addr.json': addr, 'ip-route.json': ROUTE }, 'ERR_SNAPSHOT_FIELD', 'ip-addr.json', 3, /br-missing/);
  });
  it('a route via an unknown device', () => {
    expectError({ 'ip-addr.json': ADDR, 'ip-route.json': [...ROUTE, { dst: '10.1.0.0/16', dev: 'eth9' }] }, 'ERR_SNAPSHOT_FIELD', 'ip-route.json', ROUTE.length, /eth9/);
  });
  it('a bridge-link entry that disagrees with ip-addr.json', () => {
    expectError({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE, 'bridge-link.json': [{ ifindex: 9, ifname: 'vethc9', master: 'docker0' }] }, 'ERR_SNAPSHOT_FIELD', 'bridge-link.json', 0, /vethc9/);
  });
  it('malformed JSON with line and column', () => {
    try {
      loadSnapshot(write({ 'ip-addr.json': '[\n  {"ifindex": 1,\n   "ifname": }\n]', 'ip-route.json': ROUTE }));
      throw new Error('expected an error');
    } catch (e) {
      const err = e as SnapshotError;
      expect(err.code).toBe('ERR_SNAPSHOT_JSON');
      expect(err.line).toBe(3);
    }
  });
  it('a missing required file and a missing directory', () => {
    expectError({ 'ip-addr.json': ADDR }, 'ERR_SNAPSHOT_MISSING_FILE', 'ip-route.json');
    expect(() => loadSnapshot(path.join(dir, 'nope'))).toThrow(/does not exist/);
  });
  it('a bad sysctl value with its line', () => {
    try {
      loadSnapshot(write({ 'ip-addr.json': ADDR, 'ip-route.json': ROUTE, 'sysctl.txt': 'net.ipv4.ip_forward = 1\nnet.ipv4.ip_forward = yes\n' }));
      throw new Error('expected an error');
    } catch (e) {
      expect((e as SnapshotError).code).toBe('ERR_SNAPSHOT_SYSCTL_VALUE');
      expect((e as SnapshotError).line).toBe(2);
    }
  });
});

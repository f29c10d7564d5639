// Policy routing: ip-rule.json read as `ip -j rule show` prints it, and lookups walked as fib_rules_lookup
// does (selectors, `not`, goto, nop, refusing actions, throw routes, suppress_prefixlength), plus the
// default rules' merged local+main table and the local-table-only address types once rules are custom.

import { beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSnapshot } from '../../../src/host/snapshot.js';
import { RouteKey } from '../../../src/host/fib-rules.js';
import { RouteType } from '../../../src/host/types.js';
import { parseIpv4 as ip } from '../../../src/util/ipv4.js';
import { AddrType } from '../../../src/netfilter/skb.js';
import { SnapshotError } from '../../../src/util/errors.js';
import type { Host } from '../../../src/host/host.js';

const ADDR = [
  { ifindex: 1, ifname: 'lo', mtu: 65536, link_type: 'loopback', address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
  { ifindex: 2, ifname: 'eth0', mtu: 1500, link_type: 'ether', address: '02:00:00:00:00:01', addr_info: [{ family: 'inet', local: '192.0.2.1', prefixlen: 24, scope: 'global' }] },
  { ifindex: 3, ifname: 'eth1', mtu: 1500, link_type: 'ether', address: '02:00:00:00:00:02', addr_info: [{ family: 'inet', local: '198.51.100.1', prefixlen: 24, scope: 'global' }] },
];
const ROUTE = [
  { dst: 'default', gateway: '192.0.2.254', dev: 'eth0', flags: [] },
  { dst: '192.0.2.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '192.0.2.1', flags: [] },
  { dst: '198.51.100.0/24', dev: 'eth1', protocol: 'kernel', scope: 'link', prefsrc: '198.51.100.1', flags: [] },
  { dst: 'default', gateway: '198.51.100.254', dev: 'eth1', table: '100', flags: [] },
  { dst: '10.0.0.0/8', gateway: '198.51.100.253', dev: 'eth1', table: '200', flags: [] },
  { type: 'throw', dst: '10.9.0.0/16', table: '200', flags: [] },
  { type: 'unreachable', dst: '10.8.0.0/16', table: '200', flags: [] },
  { type: 'local', dst: '127.0.0.0/8', dev: 'lo', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '127.0.0.1', flags: [] },
  { type: 'local', dst: '192.0.2.1', dev: 'eth0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '192.0.2.1', flags: [] },
  { type: 'local', dst: '198.51.100.1', dev: 'eth1', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '198.51.100.1', flags: [] },
];
const DEFAULT_RULES = [
  { priority: 0, src: 'all', table: 'local' },
  { priority: 32766, src: 'all', table: 'main' },
  { priority: 32767, src: 'all', table: 'default' },
];

let dir = '';
function host(rules: unknown[] | null, routes: unknown[] = ROUTE): Host {
  fs.writeFileSync(path.join(dir, 'ip-addr.json'), JSON.stringify(ADDR));
  fs.writeFileSync(path.join(dir, 'ip-route.json'), JSON.stringify(routes));
  if (rules !== null) fs.writeFileSync(path.join(dir, 'ip-rule.json'), JSON.stringify(rules));
  return loadSnapshot(dir);
}
function withRules(...custom: object[]): Host {
  return host([DEFAULT_RULES[0], ...custom, DEFAULT_RULES[1], DEFAULT_RULES[2]]);
}

/** The gateway (or type name) a lookup gives, for compact expectations. */
function via(h: Host, fill: (k: RouteKey) => void, daddr = '203.0.113.9'): string {
  const k = new RouteKey().plain(ip(daddr));
  fill(k);
  const r = h.fib.route(k);
  if (r === null) return 'ENETUNREACH';
  if (r.type !== RouteType.UNICAST) return Object.entries(RouteType).find(([, v]) => v === r.type)![0];
  return r.gateway === 0 ? `dev ${h.ifaces[r.dev]!.name}` : `via ${r.gateway === ip('192.0.2.254') ? 'main' : r.gateway === ip('198.51.100.254') ? 't100' : 't200'}`;
}
const none = (): void => {};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-rules-'));
});

describe('policy routing', () => {
  it('without ip-rule.json (or with the three default rules) uses main then default, and warns about other tables', () => {
    const h = host(null);
    expect(h.fib.customRules).toBe(false);
    expect(via(h, none)).toBe('via main');
    expect(h.warnings.some((w) => w.includes('ip-rule.json missing') && w.includes('100, 200'))).toBe(true);
    expect(host(DEFAULT_RULES).fib.customRules).toBe(false);
  });

  it('selects by fwmark/mask, source prefix, input device and `not`', () => {
    const mark = withRules({ priority: 100, src: 'all', fwmark: '0x10', fwmask: '0xf0', table: '100' });
    expect(mark.fib.customRules).toBe(true);
    expect(via(mark, (k) => (k.mark = 0x13))).toBe('via t100');
    expect(via(mark, (k) => (k.mark = 0x23))).toBe('via main');
    const exact = withRules({ priority: 100, src: 'all', fwmark: '0x5', table: '100' });
    expect(via(exact, (k) => (k.mark = 0x5))).toBe('via t100');
    expect(via(exact, (k) => (k.mark = 0x105))).toBe('via main'); // no fwmask: all 32 bits
    const from = withRules({ priority: 100, src: '172.16.0.0', srclen: 12, iif: 'eth1', table: '100' });
    const eth1 = from.byName('eth1')!.id;
    expect(via(from, (k) => ((k.saddr = ip('172.20.1.1')), (k.iif = eth1)))).toBe('via t100');
    expect(via(from, (k) => ((k.saddr = ip('172.20.1.1')), (k.iif = from.byName('eth0')!.id)))).toBe('via main');
    expect(via(from, (k) => ((k.saddr = ip('172.32.0.1')), (k.iif = eth1)))).toBe('via main');
    const host32 = withRules({ priority: 100, src: '172.16.0.5', table: '100' }); // no srclen: a host address
    expect(via(host32, (k) => (k.saddr = ip('172.16.0.5')))).toBe('via t100');
    expect(via(host32, (k) => (k.saddr = ip('172.16.0.6')))).toBe('via main');
    const not = withRules({ priority: 100, not: null, src: 'all', dst: '203.0.113.0', dstlen: 24, table: '100' });
    expect(via(not, none)).toBe('via main');
    expect(via(not, none, '8.8.8.8')).toBe('via t100');
  });

  it('compares tos without the ECN and precedence bits, and ipproto with port ranges', () => {
    const tos = withRules({ priority: 100, src: 'all', tos: '0x10', table: '100' });
    expect(via(tos, (k) => (k.tos = 0x10))).toBe('via t100');
    expect(via(tos, (k) => (k.tos = 0x13))).toBe('via t100'); // ECN bits ignored
    expect(via(tos, (k) => (k.tos = 0xb8))).toBe('via main'); // EF: 0xb8 & 0x1c = 0x18
    const ports = withRules({ priority: 100, src: 'all', ipproto: 'tcp', dport_start: 80, dport_end: 90, table: '100' });
    expect(via(ports, (k) => ((k.proto = 6), (k.dport = 85)))).toBe('via t100');
    expect(via(ports, (k) => ((k.proto = 17), (k.dport = 85)))).toBe('via main');
    expect(via(ports, (k) => ((k.proto = 6), (k.dport = 91)))).toBe('via main');
    const uid = withRules({ priority: 100, src: 'all', uid_start: 1000, uid_end: 2000, table: '100' });
    expect(via(uid, none)).toBe('via main'); // the kernel's and root's flows have uid 0
  });

  it('goes on past an empty table, a throw route and a suppressed result; stops at error routes', () => {
    const t200 = withRules({ priority: 100, src: 'all', table: '200' }, { priority: 101, src: 'all', table: '999' });
    expect(via(t200, none, '10.1.2.3')).toBe('via t200');
    expect(via(t200, none, '10.9.0.1')).toBe('via main'); // throw → next rule
    expect(via(t200, none, '10.8.0.1')).toBe('UNREACHABLE'); // an unreachable route ends the walk
    expect(via(t200, none, '8.8.8.8')).toBe('via main'); // not in 200, table 999 has no routes
    // suppress_prefixlength 0 (WireGuard's rule): main's default route is suppressed, its /24 is not
    const wg = host([
      DEFAULT_RULES[0],
      { priority: 32764, src: 'all', table: 'main', suppress_prefixlen: 0 },
      { priority: 32765, not: null, src: 'all', fwmark: '0xca6c', table: '100' },
      DEFAULT_RULES[1],
      DEFAULT_RULES[2],
    ]);
    expect(via(wg, none)).toBe('via t100');
    expect(via(wg, none, '198.51.100.7')).toBe('dev eth1');
    expect(via(wg, (k) => (k.mark = 0xca6c))).toBe('via main'); // the tunnel's own packets
  });

  it('carries out goto, nop and the refusing actions', () => {
    const jump = withRules(
      { priority: 100, src: 'all', fwmark: '0x1', goto: 300 },
      { priority: 200, src: 'all', table: '100' },
      { priority: 300, src: 'all', nop: null },
      { priority: 400, src: 'all', fwmark: '0x1', action: 'prohibit' },
    );
    expect(via(jump, none)).toBe('via t100');
    expect(via(jump, (k) => (k.mark = 1))).toBe('PROHIBIT'); // past 200, through the nop, to 400
    const refuse = withRules({ priority: 100, src: 'all', dst: '203.0.113.0', dstlen: 24, action: 'unreachable' }, { priority: 101, src: 'all', dst: '8.8.8.8', action: 'blackhole' });
    expect(via(refuse, none)).toBe('ENETUNREACH');
    expect(via(refuse, none, '8.8.8.8')).toBe('BLACKHOLE');
    const unresolved = withRules({ priority: 100, src: 'all', goto: 150 }, { priority: 200, src: 'all', table: '100' });
    expect(via(unresolved, none)).toBe('via t100'); // a goto to no rule falls through
  });

  it('never matches a rule naming a device that is gone, and refuses one that names an unknown device', () => {
    const detached = withRules({ priority: 100, src: 'all', iif: 'wg0', iif_detached: null, table: '100' });
    expect(via(detached, (k) => (k.iif = -1))).toBe('via main');
    expect(() => withRules({ priority: 100, src: 'all', iif: 'wg0', table: '100' })).toThrow(SnapshotError);
    expect(() => withRules({ priority: 100, src: 'all', goto: 50 })).toThrow(/must jump forward/);
    expect(() => withRules({ priority: 100, src: 'all', tos: '0x01', table: '100' })).toThrow(/IPTOS_TOS_MASK/);
    expect(() => withRules({ priority: 100, src: 'all', table: {} })).toThrow(/table name or number/);
  });

  it('answers address types from the local table alone once rules are custom', () => {
    // a blackhole route in main: in the merged trie xt_addrtype sees it, in the local table alone it is unicast
    const routes = [...ROUTE, { type: 'blackhole', dst: '10.66.0.0/16', flags: [] }];
    expect(host(null, routes).addrType(ip('10.66.1.1'), -1)).toBe(AddrType.BLACKHOLE);
    const custom = host([DEFAULT_RULES[0], { priority: 5, src: 'all', fwmark: '0x1', table: '100' }, DEFAULT_RULES[1], DEFAULT_RULES[2]], routes);
    expect(custom.addrType(ip('10.66.1.1'), -1)).toBe(AddrType.UNICAST);
    expect(custom.addrType(ip('192.0.2.1'), -1)).toBe(AddrType.LOCAL);
    expect(custom.fib.isLocal(ip('198.51.100.1'))).toBe(true);
  });
});

// Multipath routes: nexthops read from ip-route.json with fib_rebalance's upper bounds, the nexthop a flow
// takes — the one the capture showed, else a seeded stand-in hash over the same bounds — and reverse-path
// checks that accept any nexthop's device.

import { beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSnapshot } from '../../../src/host/snapshot.js';
import { usesDevice } from '../../../src/host/fib-table.js';
import { RouteKey } from '../../../src/host/fib-rules.js';
import { LearnedNexthops, NexthopChooser } from '../../../src/netfilter/path/multipath.js';
import { parseIpv4 as ip } from '../../../src/util/ipv4.js';

const ADDR = [
  { ifindex: 1, ifname: 'lo', mtu: 65536, link_type: 'loopback', address: '00:00:00:00:00:00', addr_info: [] },
  { ifindex: 2, ifname: 'a0', mtu: 1500, link_type: 'ether', address: '02:00:00:00:00:01', addr_info: [{ family: 'inet', local: '10.1.0.1', prefixlen: 24 }] },
  { ifindex: 3, ifname: 'b0', mtu: 1500, link_type: 'ether', address: '02:00:00:00:00:02', addr_info: [{ family: 'inet', local: '10.2.0.1', prefixlen: 24 }] },
];
// as `ip -j route show table all` prints `default nexthop via 10.1.0.2 dev a0 weight 1 nexthop via 10.2.0.2 dev b0 weight 3`
const ROUTE = [
  { dst: 'default', flags: [], nexthops: [{ gateway: '10.1.0.2', dev: 'a0', weight: 1, flags: [] }, { gateway: '10.2.0.2', dev: 'b0', weight: 3, flags: [] }] },
  { dst: '10.1.0.0/24', dev: 'a0', protocol: 'kernel', scope: 'link', prefsrc: '10.1.0.1', flags: [] },
  { dst: '10.2.0.0/24', dev: 'b0', protocol: 'kernel', scope: 'link', prefsrc: '10.2.0.1', flags: [] },
];

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-mp-'));
  fs.writeFileSync(path.join(dir, 'ip-addr.json'), JSON.stringify(ADDR));
  fs.writeFileSync(path.join(dir, 'ip-route.json'), JSON.stringify(ROUTE));
});

describe('multipath routes', () => {
  it('reads the nexthops with the upper bounds fib_rebalance gives their weights', () => {
    const h = loadSnapshot(dir);
    const r = h.fib.lookup(ip('8.8.8.8'))!;
    expect(r.nexthops!.map((n) => [h.ifaces[n.dev]!.name, n.gateway])).toEqual([['a0', ip('10.1.0.2')], ['b0', ip('10.2.0.2')]]);
    // DIV_ROUND_CLOSEST(w << 31, total) - 1 for cumulative weights 1 and 4 of 4
    expect(r.upperBounds).toEqual([Math.round(2 ** 31 / 4) - 1, 2 ** 31 - 1]);
    expect(usesDevice(r, h.byName('b0')!.id)).toBe(true);
    expect(usesDevice(r, 0)).toBe(false);
  });

  it('takes the nexthop the capture showed for a flow, else spreads flows by weight', () => {
    const h = loadSnapshot(dir);
    const r = h.fib.lookup(ip('8.8.8.8'))!;
    const [a0, b0] = [h.byName('a0')!.id, h.byName('b0')!.id];
    const learned = new LearnedNexthops();
    learned.note(ip('10.9.0.1'), ip('8.8.8.8'), a0);
    const k = new RouteKey().plain(ip('8.8.8.8'));
    k.saddr = ip('10.9.0.1');
    expect(new NexthopChooser(7, learned).choose(r, k).dev).toBe(a0);
    // the stand-in: weights 1:3 over many flows, and the same flow always the same way
    const chooser = new NexthopChooser(7, null);
    let onB = 0;
    for (let i = 0; i < 4000; i++) {
      k.saddr = (0x0a000000 + i * 7919) >>> 0;
      const first = chooser.choose(r, k).dev;
      expect(chooser.choose(r, k).dev).toBe(first);
      if (first === b0) onB++;
    }
    expect(onB / 4000).toBeGreaterThan(0.7);
    expect(onB / 4000).toBeLessThan(0.8);
  });

  it('refuses a weight outside 1..256', () => {
    fs.writeFileSync(path.join(dir, 'ip-route.json'), JSON.stringify([{ ...ROUTE[0], nexthops: [{ gateway: '10.1.0.2', dev: 'a0', weight: 0 }, { gateway: '10.2.0.2', dev: 'b0' }] }, ROUTE[1], ROUTE[2]]));
    expect(() => loadSnapshot(dir)).toThrow(/weight/);
  });
});

// Loads a host snapshot directory — what an operator collects on a real host (see `nfreplay snapshot`):
// ip-addr.json (`ip -j -d addr show`), ip-route.json (`ip -j route show table all`), ip-neigh.json,
// bridge-link.json, ss-listen.txt (`ss -H -ltun`), sysctl.txt, and optionally ip-rule.json (`ip -j rule show`) — into a Host, checking it for consistency.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { SnapshotError } from '../util/errors.js';
import { parseIpv4, parseMac } from '../util/ipv4.js';
import { EntryReader, readJsonArray } from './snapshot-json.js';
import type { HostIface, HostNeighbour, HostRoute, IfaceKind, ListeningSocket } from './types.js';
import { ROUTE_TYPE_BY_NAME, RouteType, SCOPE_BY_NAME, Scope } from './types.js';
import { defaultSysctls, parseSysctls } from './sysctl.js';
import { Host } from './host.js';
import { parseListening } from './listening.js';
import { readVxlanConfig, readVxlanFdb } from './vxlan.js';
import { readRules } from './snapshot-rules.js';

export const SNAPSHOT_FILES = {
  addr: 'ip-addr.json',
  route: 'ip-route.json',
  neigh: 'ip-neigh.json',
  bridge: 'bridge-link.json',
  listen: 'ss-listen.txt',
  sysctl: 'sysctl.txt',
  /** Optional: `bridge -j fdb show` (the remote VTEPs of VXLAN devices). */
  fdb: 'bridge-fdb.json',
  /** Optional: `ip -j maddr show` (multicast groups joined per interface). */
  maddr: 'ip-maddr.json',
  /** Optional: `ip -j rule show` (policy-routing rules; without it, the kernel's three default rules). */
  rule: 'ip-rule.json',
  /** Optional: `ipset save` (the contents of the sets `-m set` rules name; --ipsets overrides it). */
  ipsets: 'ipset-save.txt',
} as const;

/** Read and validate a snapshot directory. */
export function loadSnapshot(dir: string): Host {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new SnapshotError('ERR_SNAPSHOT_MISSING', 'snapshot directory does not exist', { path: dir });
  }
  if (!st.isDirectory()) throw new SnapshotError('ERR_SNAPSHOT_NOT_DIR', 'snapshot must be a directory', { path: dir });

  const addrPath = path.join(dir, SNAPSHOT_FILES.addr);
  const ifaces = readIfaces(addrPath, readJsonArray(addrPath, false)!);
  const byName = new Map(ifaces.map((i) => [i.name, i]));

  const bridgePath = path.join(dir, SNAPSHOT_FILES.bridge);
  checkBridgeLinks(bridgePath, readJsonArray(bridgePath, true), byName);

  const routePath = path.join(dir, SNAPSHOT_FILES.route);
  const warnings: string[] = [];
  const routes = readRoutes(routePath, readJsonArray(routePath, false)!, byName);

  const rulePath = path.join(dir, SNAPSHOT_FILES.rule);
  const ruleEntries = readJsonArray(rulePath, true);
  const rules = ruleEntries === null ? null : readRules(rulePath, ruleEntries, byName);
  if (rules === null) {
    const other = [...new Set(routes.map((r) => r.table))].filter((t) => t !== 'main' && t !== 'local' && t !== 'default');
    if (other.length > 0) warnings.push(`${rulePath} missing: only the default rules are assumed, so the routes in table(s) ${other.join(', ')} are never used`);
  }

  const neighPath = path.join(dir, SNAPSHOT_FILES.neigh);
  const neighbours = readNeighbours(neighPath, readJsonArray(neighPath, true) ?? [], byName);

  const fdbPath = path.join(dir, SNAPSHOT_FILES.fdb);
  readVxlanFdb(fdbPath, readJsonArray(fdbPath, true), byName);
  const maddrPath = path.join(dir, SNAPSHOT_FILES.maddr);
  readMulticastGroups(maddrPath, readJsonArray(maddrPath, true), byName);

  const listenPath = path.join(dir, SNAPSHOT_FILES.listen);
  const listening: ListeningSocket[] = fs.existsSync(listenPath) ? parseListening(fs.readFileSync(listenPath, 'utf8'), listenPath) : [];

  const sysctlPath = path.join(dir, SNAPSHOT_FILES.sysctl);
  const sysctls = fs.existsSync(sysctlPath) ? parseSysctls(fs.readFileSync(sysctlPath, 'utf8'), sysctlPath) : defaultSysctls();
  if (!fs.existsSync(sysctlPath)) warnings.push(`${sysctlPath} missing: kernel defaults assumed (ip_forward=0)`);

  return new Host({ ifaces, routes, rules, neighbours, listening, sysctls, warnings, source: dir });
}

function kindOf(linkType: string | null, infoKind: string | null): IfaceKind {
  if (linkType === 'loopback') return 'loopback';
  if (infoKind === 'bridge') return 'bridge';
  if (infoKind === 'veth') return 'veth';
  if (infoKind === 'vxlan') return 'vxlan';
  if (linkType === 'ether') return 'ether';
  return 'other';
}

/**
 * An interface's device group from `ip -j -d addr show`: "default" (group 0), or the number `ip` prints for a
 * group /etc/iproute2/group does not name (rtnl_group_n2a's "%d", so groups past 2^31 read negative), as a
 * string or a JSON number; absent means the default group. Other names cannot be resolved offline.
 */
function deviceGroupOf(r: EntryReader): number {
  const v = r.entry['group'];
  if (v === undefined || v === null || v === 'default') return 0;
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : null;
  if (text === null) return r.fail('group', 'must be a string or a number');
  if (!/^-?\d+$/.test(text) || Number(text) < -0x80000000 || Number(text) > 0xffffffff) {
    return r.fail('group', `is "${text}": only "default" and group numbers are understood (names from /etc/iproute2/group are not read: write the group's number in its place)`);
  }
  return Number(text) >>> 0;
}

function readIfaces(file: string, entries: readonly Record<string, unknown>[]): HostIface[] {
  const out: HostIface[] = [];
  const masters: (string | null)[] = [];
  const lowers: (string | null)[] = [];
  const seenIdx = new Map<number, number>();
  const seenName = new Map<string, number>();
  entries.forEach((raw, i) => {
    const e: EntryReader = new EntryReader(file, i, raw as never, `interface entry ${i}`);
    const name = e.str('ifname');
    const r: EntryReader = new EntryReader(file, i, raw as never, `interface "${name}" (entry ${i})`);
    const ifindex = r.num('ifindex');
    if (seenIdx.has(ifindex)) r.fail('ifindex', `repeats ifindex ${ifindex} of entry ${seenIdx.get(ifindex)}`);
    if (seenName.has(name)) r.fail('ifname', `repeats the name of entry ${seenName.get(name)}`);
    seenIdx.set(ifindex, i);
    seenName.set(name, i);
    const macText = r.optStr('address') ?? '00:00:00:00:00:00';
    const mac = parseMac(macText);
    const linkType = r.optStr('link_type');
    if (mac === null && linkType === 'ether') r.fail('address', `is not a MAC address: "${macText}"`);
    const linkinfo = r.obj('linkinfo');
    const li = linkinfo ? new EntryReader(file, i, linkinfo, `interface "${name}" linkinfo`) : null;
    const infoKind = li?.optStr('info_kind') ?? null;
    const slave = li?.obj('info_slave_data') ?? null;
    const sl = slave ? new EntryReader(file, i, slave, `interface "${name}" bridge port data`) : null;
    const data = li?.obj('info_data') ?? null;
    const dl = data ? new EntryReader(file, i, data, `interface "${name}" bridge data`) : null;
    const flags = r.strList('flags');
    const addrs = r.objList('addr_info').flatMap((a, j) => {
      const ar: EntryReader = new EntryReader(file, i, a, `interface "${name}" address ${j}`);
      if (ar.optStr('family') !== 'inet') return [];
      const local = parseIpv4(ar.str('local'));
      if (local < 0) ar.fail('local', 'is not an IPv4 address');
      const prefixLen = ar.num('prefixlen');
      if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) ar.fail('prefixlen', 'must be 0..32');
      const bText = ar.optStr('broadcast');
      let broadcast = bText === null ? 0 : parseIpv4(bText);
      if (broadcast < 0) ar.fail('broadcast', 'is not an IPv4 address');
      if (bText === null && prefixLen < 31) broadcast = (local | (0xffffffff >>> prefixLen)) >>> 0;
      const scopeName = ar.optStr('scope') ?? 'global';
      const scope = SCOPE_BY_NAME[scopeName] ?? (/^\d+$/.test(scopeName) ? Number(scopeName) : ar.fail('scope', `unknown scope "${scopeName}"`));
      return [{ local, prefixLen, broadcast, scope, secondary: ar.optBool('secondary', false) }];
    });
    masters.push(r.optStr('master'));
    lowers.push(infoKind === 'macvlan' ? r.optStr('link') : null);
    out.push({
      id: out.length,
      name,
      ifindex,
      kind: kindOf(linkType, infoKind),
      mtu: r.num('mtu'),
      macHi: mac?.hi ?? 0,
      macLo: mac?.lo ?? 0,
      up: flags.includes('UP'),
      master: -1,
      hairpin: sl?.optBool('hairpin', false) ?? false,
      learning: sl?.optBool('learning', true) ?? true,
      portForwarding: (sl?.optStr('state') ?? 'forwarding') === 'forwarding',
      nfCallIptables: (dl?.optNum('nf_call_iptables', 0) ?? 0) === 1,
      ports: [],
      addrs,
      mcastGroups: null,
      group: deviceGroupOf(r),
      ...(infoKind === 'macvlan' ? { macvlan: { lower: -1, mode: dl?.optStr('mode') ?? 'vepa' } } : {}),
      ...(infoKind === 'vxlan' && dl !== null ? { vxlan: readVxlanConfig(new EntryReader(file, i, data!, `interface "${name}" vxlan data`)) } : {}),
    });
  });
  // a macvlan's lower device, once every interface is known (one in another namespace stays unknown: -1)
  out.forEach((iface, i) => {
    const l = lowers[i];
    if (iface.macvlan !== undefined && l !== null && l !== undefined) iface.macvlan.lower = out.find((x) => x.name === l)?.id ?? -1;
  });
  // bridge membership, once every interface is known
  out.forEach((iface, i) => {
    const m = masters[i];
    if (m === null || m === undefined) return;
    const br = out.find((x) => x.name === m);
    if (br === undefined)
      throw new SnapshotError('ERR_SNAPSHOT_FIELD', `interface "${iface.name}" (entry ${i}): field "master" names "${m}", which ip-addr.json does not have`, { path: file, record: i });
    if (br.kind !== 'bridge')
      throw new SnapshotError('ERR_SNAPSHOT_FIELD', `interface "${iface.name}" (entry ${i}): master "${m}" is not a bridge (only bridge ports are modelled)`, { path: file, record: i });
    iface.master = br.id;
    br.ports.push(iface.id);
  });
  return out;
}

function checkBridgeLinks(file: string, entries: readonly Record<string, unknown>[] | null, byName: Map<string, HostIface>): void {
  if (entries === null) return;
  entries.forEach((raw, i) => {
    const e: EntryReader = new EntryReader(file, i, raw as never, `bridge port entry ${i}`);
    const name = e.str('ifname');
    const r: EntryReader = new EntryReader(file, i, raw as never, `bridge port "${name}" (entry ${i})`);
    const master = r.optStr('master');
    const iface = byName.get(name);
    if (iface === undefined) r.fail('ifname', `names an interface that ip-addr.json does not have`);
    const br = master === null ? undefined : byName.get(master);
    if (master !== null && br === undefined) r.fail('master', `names bridge "${master}", which ip-addr.json does not have`);
    if (br !== undefined && iface.master !== br.id) r.fail('master', `says "${master}" but ip-addr.json does not list "${name}" as its port`);
    const state = r.optStr('state');
    if (state !== null) iface.portForwarding = state === 'forwarding';
    const hairpin = r.entry['hairpin'];
    if (typeof hairpin === 'boolean') iface.hairpin = hairpin;
  });
}

/** Is this `ip -j route` entry an IPv6 route? */
function isIpv6Route(e: Record<string, unknown>, dst: string): boolean {
  if (dst.includes(':') || e['pref'] !== undefined) return true;
  for (const k of ['gateway', 'prefsrc', 'src']) {
    const v = e[k];
    if (typeof v === 'string' && v.includes(':')) return true;
  }
  return false;
}

/** `ip -j maddr show`: the IPv4 groups each interface has joined (interfaces not listed have joined none). */
function readMulticastGroups(file: string, entries: readonly Record<string, unknown>[] | null, byName: Map<string, HostIface>): void {
  if (entries === null) return;
  for (const iface of byName.values()) iface.mcastGroups = new Set();
  entries.forEach((raw, i) => {
    const r: EntryReader = new EntryReader(file, i, raw as never, `multicast entry ${i}`);
    const name = r.str('ifname');
    const iface = byName.get(name);
    if (iface === undefined) r.fail('ifname', `names interface "${name}", which ip-addr.json does not have`);
    const list = r.entry['maddr'];
    if (!Array.isArray(list)) return;
    for (const m of list as Record<string, unknown>[]) {
      if (m === null || typeof m !== 'object' || m['family'] !== 'inet' || typeof m['address'] !== 'string') continue;
      const a = parseIpv4(m['address']);
      if (a < 0) r.fail('maddr', `holds "${m['address']}", which is not an IPv4 address`);
      iface.mcastGroups!.add(a);
    }
  });
}

function readRoutes(file: string, entries: readonly Record<string, unknown>[], byName: Map<string, HostIface>): HostRoute[] {
  const out: HostRoute[] = [];
  entries.forEach((raw, i) => {
    const r: EntryReader = new EntryReader(file, i, raw as never, `route entry ${i}`);
    const dstText = r.str('dst');
    // `ip route show table all` lists IPv6 routes too, which the IPv4 model ignores: an address with a colon
    // anywhere, or `pref` (printed for IPv6 routes only), gives them away, "default" ones included
    if (isIpv6Route(r.entry, dstText)) return;
    const table = r.optStr('table') ?? 'main';
    let dst = 0;
    let prefixLen = 0;
    if (dstText !== 'default') {
      const m = /^([0-9.]+)(?:\/(\d+))?$/.exec(dstText);
      if (!m) {
        r.fail('dst', `is not an IPv4 prefix: "${dstText}"`);
      }
      dst = parseIpv4(m[1]!);
      prefixLen = m[2] === undefined ? 32 : Number(m[2]);
      if (dst < 0 || prefixLen > 32) r.fail('dst', `is not an IPv4 prefix: "${dstText}"`);
    }
    const typeName = r.optStr('type') ?? 'unicast';
    const type = ROUTE_TYPE_BY_NAME[typeName];
    if (type === undefined) r.fail('type', `unknown route type "${typeName}"`);
    const hops = r.objList('nexthops').map((h, j) => new EntryReader(file, i, h, `route entry ${i} nexthop ${j}`));
    const [dev, gateway] = hops.length > 0 ? nexthopOf(hops[0]!, byName, type) : nexthopOf(r, byName, type);
    const srcText = r.optStr('prefsrc');
    const prefsrc = srcText === null ? 0 : parseIpv4(srcText);
    if (prefsrc < 0) r.fail('prefsrc', `is not an IPv4 address: "${srcText}"`);
    const scopeName = r.optStr('scope');
    const scope = scopeName === null ? (type === RouteType.LOCAL ? Scope.HOST : Scope.UNIVERSE) : (SCOPE_BY_NAME[scopeName] ?? r.fail('scope', `unknown scope "${scopeName}"`));
    let mtu = 0;
    for (const m of r.objList('metrics')) if (typeof m['mtu'] === 'number') mtu = m['mtu'];
    const protocol = r.optStr('protocol') ?? 'boot';
    const route: HostRoute = { table, type, dst, prefixLen, gateway, dev, prefsrc, scope, mtu, metric: r.optNum('metric', 0), protocol, origin: `${file} entry ${i}` };
    if (hops.length > 1) multipath(route, hops, byName, type);
    out.push(route);
  });
  return out;
}

/** The device and gateway of a route entry or of one of its nexthops. */
function nexthopOf(r: EntryReader, byName: Map<string, HostIface>, type: number): [number, number] {
  const devName = r.optStr('dev');
  let dev = -1;
  if (devName !== null) {
    const iface = byName.get(devName);
    if (iface === undefined) r.fail('dev', `names device "${devName}", which ip-addr.json does not have`);
    dev = iface.id;
  } else if (type === RouteType.UNICAST || type === RouteType.LOCAL || type === RouteType.BROADCAST) {
    r.fail('dev', 'is missing for a route that needs a device');
  }
  const gwText = r.optStr('gateway');
  const gateway = gwText === null ? 0 : parseIpv4(gwText);
  if (gateway < 0) r.fail('gateway', `is not an IPv4 address: "${gwText}"`);
  return [dev, gateway];
}

/**
 * A multipath route: one route per nexthop, and fib_rebalance's upper bounds — nexthop i takes the hashes up
 * to round((w_0 + ... + w_i) << 31 / total) - 1.
 */
function multipath(route: HostRoute, hops: EntryReader[], byName: Map<string, HostIface>, type: number): void {
  const weights = hops.map((h) => {
    const w = h.optNum('weight', 1);
    if (!Number.isInteger(w) || w < 1 || w > 256) h.fail('weight', 'must be 1..256');
    return w;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  let w = 0;
  route.upperBounds = weights.map((x) => {
    w += x;
    return Math.floor((w * 2 ** 31 + total / 2) / total) - 1;
  });
  route.nexthops = hops.map((h, j) => {
    if (j === 0) return route;
    const [dev, gateway] = nexthopOf(h, byName, type);
    return { ...route, dev, gateway, nexthops: undefined, upperBounds: undefined };
  });
  for (const n of route.nexthops) if (n !== route) { n.nexthops = route.nexthops; n.upperBounds = route.upperBounds; }
}

function readNeighbours(file: string, entries: readonly Record<string, unknown>[], byName: Map<string, HostIface>): HostNeighbour[] {
  const out: HostNeighbour[] = [];
  entries.forEach((raw, i) => {
    const r: EntryReader = new EntryReader(file, i, raw as never, `neighbour entry ${i}`);
    const dstText = r.str('dst');
    if (dstText.includes(':')) return; // IPv6 neighbours
    const addr = parseIpv4(dstText);
    if (addr < 0) r.fail('dst', `is not an IPv4 address: "${dstText}"`);
    const devName = r.str('dev');
    const iface = byName.get(devName);
    if (iface === undefined) r.fail('dev', `names device "${devName}", which ip-addr.json does not have`);
    const lladdr = r.optStr('lladdr');
    const state = r.strList('state');
    if (lladdr === null) return; // INCOMPLETE/FAILED entries carry no address
    const mac = parseMac(lladdr);
    if (mac === null) r.fail('lladdr', `is not a MAC address: "${lladdr}"`);
    out.push({ addr, dev: iface.id, macHi: mac.hi, macLo: mac.lo, state });
  });
  return out;
}

// VXLAN devices of the snapshot (flannel's default backend, Calico VXLAN): the configuration
// `ip -j -d addr` prints under linkinfo.info_data, and the remote VTEP of each MAC from
// `bridge -j fdb show` (optional file bridge-fdb.json; the replay also learns remotes from the capture).

import type { JsonObject } from './snapshot-json.js';
import { EntryReader } from './snapshot-json.js';
import { macKey, parseIpv4, parseMac } from '../util/ipv4.js';
import type { HostIface } from './types.js';

/** How the outer header's DF bit is set (IFLA_VXLAN_DF). */
export type VxlanDf = 'unset' | 'set' | 'inherit';

export interface VxlanConfig {
  vni: number;
  /** Local VTEP address; 0 when none is configured (the route to the remote picks it). */
  local: number;
  /** Underlay device name (`dev`), or null. */
  link: string | null;
  /** UDP destination port (IANA 4789; flannel uses 8472). */
  port: number;
  /** Source port range; both 0: the host's ip_local_port_range. */
  portLow: number;
  portHigh: number;
  learning: boolean;
  /** Outer TTL; 0: the route's hop limit (ip_default_ttl). */
  ttl: number;
  /** Outer TOS; 1 means inherit from the inner packet. */
  tos: number;
  df: VxlanDf;
  /** UDP checksum on the outer header (IPv4). */
  udpCsum: boolean;
  /** Default remote (`remote`, or a multicast `group`); 0 when none. */
  remote: number;
  /** FDB: destination MAC (macKey) → remote VTEP address. */
  fdb: Map<number, number>;
}

/** The VXLAN part of an interface's linkinfo (info_data of info_kind "vxlan"). */
export function readVxlanConfig(r: EntryReader): VxlanConfig {
  const vni = r.num('id');
  if (!Number.isInteger(vni) || vni < 0 || vni > 0xffffff) r.fail('id', 'must be a VNI (0..16777215)');
  const addr = (field: string): number => {
    const t = r.optStr(field);
    if (t === null || t.includes(':')) return 0;
    const a = parseIpv4(t);
    if (a < 0) r.fail(field, `is not an IPv4 address: "${t}"`);
    return a;
  };
  const pr = r.obj('port_range');
  const range = pr === null ? null : new EntryReader(r.path, r.index, pr, `${r.label} port_range`);
  const port = r.optNum('port', 8472);
  if (!Number.isInteger(port) || port < 0 || port > 65535) r.fail('port', 'must be a UDP port');
  const tosText = r.entry['tos'];
  const df = r.optStr('df') ?? 'unset';
  if (df !== 'unset' && df !== 'set' && df !== 'inherit') r.fail('df', `must be unset, set or inherit, not "${df}"`);
  return {
    vni,
    local: addr('local'),
    link: r.optStr('link'),
    port,
    portLow: range?.optNum('low', 0) ?? 0,
    portHigh: range?.optNum('high', 0) ?? 0,
    learning: r.optBool('learning', true),
    ttl: r.optNum('ttl', 0),
    tos: tosText === 'inherit' ? 1 : typeof tosText === 'string' ? parseInt(tosText, 16) || 0 : typeof tosText === 'number' ? tosText : 0,
    df,
    udpCsum: r.optBool('udp_csum', true),
    remote: addr('remote') || addr('group'),
    fdb: new Map(),
  };
}

/** `bridge -j fdb show`: entries with a remote (`dst`) on VXLAN devices; others are bridge state and ignored. */
export function readVxlanFdb(file: string, entries: readonly JsonObject[] | null, byName: Map<string, HostIface>): void {
  if (entries === null) return;
  entries.forEach((raw, i) => {
    const r: EntryReader = new EntryReader(file, i, raw, `fdb entry ${i}`);
    const dst = r.optStr('dst');
    const name = r.optStr('ifname');
    if (dst === null || name === null || dst.includes(':')) return;
    const iface = byName.get(name);
    if (iface === undefined) r.fail('ifname', `names interface "${name}", which ip-addr.json does not have`);
    if (iface.vxlan === undefined) return;
    const mac = parseMac(r.str('mac'));
    if (mac === null) r.fail('mac', 'is not a MAC address');
    const a = parseIpv4(dst);
    if (a < 0) r.fail('dst', `is not an IPv4 address: "${dst}"`);
    // the all-zeros MAC is the default destination (flooding); keep it as such
    iface.vxlan.fdb.set(macKey(mac.hi, mac.lo), a);
  });
}

// Reads ip-rule.json (`ip -j rule show`: the IPv4 policy-routing rules) into FibRule records sorted by
// priority, with gotos resolved as fib_nl_newrule resolves them. Field names are iproute2's (print_rule):
// flags such as "not", "nop", "l3mdev" and "iif_detached" are present with a null value.

import { parseIpv4, prefixMask } from '../util/ipv4.js';
import { EntryReader } from './snapshot-json.js';
import type { JsonObject } from './snapshot-json.js';
import type { HostIface } from './types.js';
import type { FibRule } from './fib-rules.js';
import { ANY_DEV, DETACHED, RuleAction } from './fib-rules.js';

const ACTION_BY_NAME: Readonly<Record<string, number>> = {
  blackhole: RuleAction.BLACKHOLE,
  unreachable: RuleAction.UNREACHABLE,
  prohibit: RuleAction.PROHIBIT,
  nop: RuleAction.NOP,
};

/** The protocol names iproute2 prints for `ipproto` (from /etc/protocols), or a number. */
const PROTO_BY_NAME: Readonly<Record<string, number>> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, sctp: 132, udplite: 136 };

function has(e: JsonObject, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(e, field);
}

function numeric(r: EntryReader, field: string, max: number): number {
  const v = r.entry[field];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > max) r.fail(field, `must be a number from 0 to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** An address selector: "all", or an address with an optional "<field>len" (absent: a host address). */
function prefix(r: EntryReader, field: string): { addr: number; mask: number } {
  const text = r.optStr(field);
  if (text === null || text === 'all') return { addr: 0, mask: 0 };
  const addr = parseIpv4(text);
  if (addr < 0) r.fail(field, `is not an IPv4 address: "${text}"`);
  const len = has(r.entry, `${field}len`) ? numeric(r, `${field}len`, 32) : 32;
  const mask = prefixMask(len);
  return { addr: (addr & mask) >>> 0, mask };
}

function device(r: EntryReader, field: string, byName: Map<string, HostIface>): number {
  const name = r.optStr(field);
  if (name === null) return ANY_DEV;
  // a rule may name a device that does not exist (yet): the kernel keeps it and it never matches
  if (has(r.entry, `${field}_detached`)) return DETACHED;
  const iface = byName.get(name);
  if (iface === undefined) r.fail(field, `names device "${name}", which ip-addr.json does not have (and the rule is not marked ${field}_detached)`);
  return iface.id;
}

function portRange(r: EntryReader, name: string): [number, number] {
  if (has(r.entry, name)) {
    const p = numeric(r, name, 65535);
    return [p, p];
  }
  if (has(r.entry, `${name}_start`)) return [numeric(r, `${name}_start`, 65535), numeric(r, `${name}_end`, 65535)];
  return [-1, -1];
}

/** Parse the entries of ip-rule.json; IPv6 rules (if any were dumped) are skipped. */
export function readRules(file: string, entries: readonly JsonObject[], byName: Map<string, HostIface>): FibRule[] {
  const rules: FibRule[] = [];
  entries.forEach((raw, i) => {
    const r = new EntryReader(file, i, raw, `rule entry ${i}`);
    const e = r.entry;
    if (['src', 'dst'].some((f) => typeof e[f] === 'string' && (e[f] as string).includes(':'))) return;
    for (const f of ['realms', 'flowlabel', 'dport_mask', 'sport_mask']) if (has(e, f)) r.fail(f, 'is a selector nfreplay does not model');
    const src = prefix(r, 'src');
    const dst = prefix(r, 'dst');
    const markMask = has(e, 'fwmark') || has(e, 'fwmask') ? (has(e, 'fwmask') ? numeric(r, 'fwmask', 0xffffffff) : 0xffffffff) : 0;
    const tos = has(e, 'tos') ? numeric(r, 'tos', 0xff) : 0;
    if ((tos & ~0x1e) !== 0) r.fail('tos', 'has bits outside IPTOS_TOS_MASK (0x1e), which the kernel refuses');
    const protoText = e['ipproto'];
    let proto = 0;
    if (protoText !== undefined) {
      proto = typeof protoText === 'string' && PROTO_BY_NAME[protoText] !== undefined ? PROTO_BY_NAME[protoText]! : numeric(r, 'ipproto', 255);
    }
    const [sportLo, sportHi] = portRange(r, 'sport');
    const [dportLo, dportHi] = portRange(r, 'dport');
    let action: number = RuleAction.TO_TBL;
    const actionName = r.optStr('action');
    if (actionName !== null) {
      const a = ACTION_BY_NAME[actionName];
      if (a === undefined) r.fail('action', `is not a rule action nfreplay knows: "${actionName}"`);
      action = a;
    } else if (has(e, 'nop')) action = RuleAction.NOP;
    else if (has(e, 'goto')) action = RuleAction.GOTO;
    const pref = numeric(r, 'priority', 0xffffffff);
    const gotoPref = action === RuleAction.GOTO ? numeric(r, 'goto', 0xffffffff) : -1;
    // fib_nl2rule refuses a goto to its own or an earlier priority
    if (action === RuleAction.GOTO && gotoPref <= pref) r.fail('goto', `must jump forward (past priority ${pref}), got ${gotoPref}`);
    const tv = e['table'];
    if (tv !== undefined && typeof tv !== 'string' && typeof tv !== 'number') r.fail('table', 'must be a table name or number');
    const table = tv === undefined ? '' : String(tv);
    if (action === RuleAction.TO_TBL && table === '' && !has(e, 'l3mdev')) r.fail('table', 'is missing for a rule that looks up a table');
    rules.push({
      pref,
      invert: has(e, 'not'),
      src: src.addr,
      srcMask: src.mask,
      dst: dst.addr,
      dstMask: dst.mask,
      iif: device(r, 'iif', byName),
      oif: device(r, 'oif', byName),
      mark: has(e, 'fwmark') ? numeric(r, 'fwmark', 0xffffffff) & markMask : 0,
      markMask,
      tos,
      dscp: has(e, 'dscp') ? numeric(r, 'dscp', 63) : -1,
      proto,
      sportLo,
      sportHi,
      dportLo,
      dportHi,
      uidLo: has(e, 'uid_start') ? numeric(r, 'uid_start', 0xffffffff) : 0,
      uidHi: has(e, 'uid_end') ? numeric(r, 'uid_end', 0xffffffff) : 0xffffffff,
      tunId: has(e, 'tun_id') ? numeric(r, 'tun_id', Number.MAX_SAFE_INTEGER) : 0,
      l3mdev: has(e, 'l3mdev'),
      action,
      table,
      gotoIndex: -1,
      gotoPref,
      suppressPrefixlen: has(e, 'suppress_prefixlen') ? numeric(r, 'suppress_prefixlen', 128) : -1,
      suppressIfgroup: has(e, 'suppress_ifgroup') ? numeric(r, 'suppress_ifgroup', 0xffffffff) : -1,
      origin: `${file} entry ${i}`,
    });
  });
  // the dump is in priority order already; a stable sort keeps equal priorities in dump (insertion) order
  rules.sort((a, b) => a.pref - b.pref);
  rules.forEach((rule, i) => {
    if (rule.action !== RuleAction.GOTO) return;
    rule.gotoIndex = rules.findIndex((t, j) => j > i && t.pref === rule.gotoPref);
  });
  return rules;
}

// Reads `ipset save` output (`create NAME TYPE [family inet] [options]` / `add NAME ELEMENT [timeout N]
// [nomatch]`) into an IpSetCatalog for `-m set` and the SET target. Types: hash:ip, hash:net, hash:ip,port,
// hash:net,port, hash:ip,port,ip, hash:ip,port,net, hash:net,port,net, hash:net,net, hash:ip,mark, bitmap:ip,
// bitmap:port, list:set. An element given as a range goes in as the kernel's uadt functions put it in.

import { RuleError } from '../../util/errors.js';
import { IPSET_MAX_TIMEOUT } from './ipset.js';
import { parseIpv4Strict } from './addr.js';
import { prefixMask } from '../../util/ipv4.js';
import { parsePort, parseUint } from './values.js';
import { parseProtocol, ICMP_NAMES } from './names.js';
import { msecsToJiffies } from './match/hashlimit-credits.js';
import type { DimKind } from './ipset-range.js';
import { Dim, RangeSet } from './ipset-range.js';
import { IpSetFile, ListSet } from './ipset-list.js';

export { Dim, RangeSet } from './ipset-range.js';
export { IpSetFile, ListSet } from './ipset-list.js';

const TYPES: Readonly<Record<string, readonly DimKind[]>> = {
  'hash:ip': [Dim.IP],
  'hash:net': [Dim.NET],
  'hash:ip,port': [Dim.IP, Dim.PORT],
  'hash:net,port': [Dim.NET, Dim.PORT],
  'hash:ip,port,ip': [Dim.IP, Dim.PORT, Dim.IP],
  'hash:ip,port,net': [Dim.IP, Dim.PORT, Dim.NET],
  'hash:net,port,net': [Dim.NET, Dim.PORT, Dim.NET],
  'hash:net,net': [Dim.NET, Dim.NET],
  'hash:ip,mark': [Dim.IP, Dim.MARK],
  'bitmap:ip': [Dim.IP],
  'bitmap:port': [Dim.PORT_ANY],
};

/** One dimension of an element: the [lo, hi, prefix length] values it stands for. */
type Values = Array<[number, number, number]>;

type Fail = (m: string) => never;

/** `a`, `a/len` or `a-b`: first and last address and the prefix length given (-1 when none). */
function span(s: string, fail: Fail): [number, number, number] {
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const a = parseIpv4Strict(s.slice(0, slash));
    const bits = parseUint(s.slice(slash + 1), 0, 32);
    if (a < 0 || bits < 0) fail(`bad network \`${s}'`);
    if (bits === 0) fail(`invalid prefix length in \`${s}' (1-32)`);
    const m = prefixMask(bits);
    return [(a & m) >>> 0, (a | ~m) >>> 0, bits];
  }
  const dash = s.indexOf('-');
  if (dash >= 0) {
    const a = parseIpv4Strict(s.slice(0, dash));
    const b = parseIpv4Strict(s.slice(dash + 1));
    if (a < 0 || b < 0) fail(`bad address range \`${s}'`);
    return a <= b ? [a, b, -1] : [b, a, -1];
  }
  const a = parseIpv4Strict(s);
  if (a < 0) fail(`bad address \`${s}'`);
  return [a, a, -1];
}

/** ip_set_range_to_cidr walked over [a, b]: the largest aligned networks covering it, in order. */
export function rangeToCidrs(a: number, b: number): Values {
  const out: Values = [];
  let ip = a;
  for (;;) {
    let len = 32;
    while (len > 0) {
      const m = prefixMask(len - 1);
      const net = (ip & m) >>> 0;
      if (net !== ip || (net | ~m) >>> 0 > b) break;
      len--;
    }
    const last = (ip | ~prefixMask(len)) >>> 0;
    out.push([ip, last, len]);
    if (last >= b) return out;
    ip = last + 1;
  }
}

/** Addresses of an exact dimension: one element per address, or per netmask block (hash:ip, bitmap:ip). */
function addresses(rs: RangeSet, s: string, fail: Fail): Values {
  const [a, b] = span(s, fail);
  const m = prefixMask(rs.netmask);
  const step = 2 ** (32 - rs.netmask);
  const from = (a & m) >>> 0;
  const n = Math.floor((b - from) / step) + 1;
  if (n > rs.maxelem) fail(`\`${s}' is more than the set's maxelem ${rs.maxelem} elements`);
  const out: Values = [];
  for (let x = from; x <= b; x += step) {
    if (x === 0 && rs.type === 'hash:ip') fail(`address 0.0.0.0 cannot be stored in a hash:ip set (\`${s}')`);
    if (rs.type === 'bitmap:ip' && (x < rs.first || x > rs.last)) fail(`\`${s}' is outside the range of the set`);
    out.push([x, (x | ~m) >>> 0, rs.netmask]);
  }
  return out;
}

/** `[proto:]port[-port]` (ICMP: `icmp:TYPE/CODE` or a name): proto << 16 | value, one per port. */
function ports(s: string, withProto: boolean, fail: Fail): Values {
  let proto = 6;
  let p = s;
  const colon = s.indexOf(':');
  if (withProto && colon >= 0) {
    proto = parseProtocol(s.slice(0, colon));
    if (proto < 0) fail(`bad protocol in \`${s}'`);
    p = s.slice(colon + 1);
  }
  if (withProto && proto === 1) {
    // ipset's ICMP names each stand for one type and code
    const named = ICMP_NAMES.find((x) => x.name === p);
    let type: number;
    let code: number;
    if (named !== undefined) [type, code] = [named.type, named.codeMin];
    else {
      const [t, c] = p.split('/');
      type = parseUint(t ?? '', 0, 255);
      code = parseUint(c ?? '0', 0, 255);
      if (type < 0 || code < 0) fail(`bad ICMP type/code \`${s}'`);
    }
    const v = ((proto << 16) | (type << 8) | code) >>> 0;
    return [[v, v, 0]];
  }
  const dash = p.indexOf('-');
  const a = parsePort(dash < 0 ? p : p.slice(0, dash), null);
  const b = dash < 0 ? a : parsePort(p.slice(dash + 1), null);
  if (a < 0 || b < 0 || a > b) fail(`bad port \`${s}'`);
  const base = withProto ? proto << 16 : 0;
  const out: Values = [];
  for (let x = a; x <= b; x++) out.push([(base | x) >>> 0, (base | x) >>> 0, 0]);
  return out;
}

/** The values of dimension `i` of an element of `rs`. */
function dimValues(rs: RangeSet, i: number, part: string, fail: Fail): Values {
  switch (rs.kinds[i]) {
    case Dim.IP:
      return addresses(rs, part, fail);
    case Dim.NET: {
      const [a, b, bits] = span(part, fail);
      return bits >= 0 ? [[a, b, bits]] : a === b ? [[a, a, 32]] : rangeToCidrs(a, b);
    }
    case Dim.PORT:
      return ports(part, true, fail);
    case Dim.PORT_ANY: {
      const v = ports(part, false, fail);
      if (v[0]![0] < rs.first || v[v.length - 1]![0] > rs.last) fail(`port \`${part}' is outside the range of the set`);
      return v;
    }
    default: {
      const v = parseUint(part, 0, 0xffffffff);
      if (v < 0) fail(`bad mark \`${part}'`);
      return [[v, v, 0]];
    }
  }
}

/** The create line's options that change what the set holds. */
function configure(rs: RangeSet, words: readonly string[], fail: (m: string, word: number) => never): void {
  const at = (k: string): number => words.indexOf(k, 3);
  const value = (k: string, min: number, max: number): number => {
    const i = at(k);
    if (i < 0) return -1;
    const v = parseUint(words[i + 1] ?? '', min, max);
    if (v < 0) fail(`bad ${k} \`${words[i + 1] ?? ''}'`, i + 1);
    return v;
  };
  const timeout = value('timeout', 0, 0xffffffff);
  if (timeout >= 0) rs.timeout = Math.min(timeout, IPSET_MAX_TIMEOUT); // ip_set_timeout_uget
  const maxelem = value('maxelem', 0, 0xffffffff);
  if (maxelem >= 0) rs.maxelem = maxelem;
  rs.forceadd = words.includes('forceadd');
  if (at('bitmask') >= 0) fail('the bitmask option is not modelled (use netmask)', at('bitmask'));
  const netmask = value('netmask', 1, 32);
  if (netmask >= 0) {
    if (rs.type !== 'hash:ip' && rs.type !== 'bitmap:ip') fail(`netmask is not modelled for ${rs.type}`, at('netmask'));
    rs.netmask = netmask;
  }
  if (rs.type.startsWith('bitmap:')) {
    const i = at('range');
    if (i < 0) fail(`a ${rs.type} set needs a range`, 2);
    const r = words[i + 1] ?? '';
    const f = (m: string): never => fail(m, i + 1);
    if (rs.type === 'bitmap:port') {
      const v = ports(r, false, f);
      [rs.first, rs.last] = [v[0]![0], v[v.length - 1]![0]];
    } else {
      const [a, b] = span(r, f);
      const m = prefixMask(rs.netmask);
      [rs.first, rs.last] = [(a & m) >>> 0, (b | ~m) >>> 0];
    }
  }
}

/** Parse `ipset save` text. Throws RuleError (ERR_IPSET_SYNTAX) with path/line/column. */
export function parseIpsetSave(text: string, path = ''): IpSetFile {
  const cat = new IpSetFile();
  const lists: Array<{ set: ListSet; members: Array<[string, number]>; line: number }> = [];
  const lines = text.split('\n');
  lines.forEach((raw, n) => {
    const line = raw.replace(/\r$/, '');
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const words = t.split(/\s+/);
    const fail = (m: string, word = 0): never => {
      throw new RuleError('ERR_IPSET_SYNTAX', m, { path: path || undefined, line: n + 1, column: line.indexOf(words[word] ?? '') + 1 });
    };
    const [cmd, name] = words;
    if (name === undefined) fail('missing set name');
    if (cmd === 'create' || cmd === '-N' || cmd === '-exist') {
      const type = words[2] ?? fail('missing set type', 1);
      const fam = words.indexOf('family');
      if (fam >= 0 && words[fam + 1] === 'inet6') fail('IPv6 sets are not supported (evaluation is IPv4-only)', fam + 1);
      if (cat.get(name) !== undefined) fail(`set \`${name}' created twice`, 1);
      if (type === 'list:set') {
        const s = new ListSet(name);
        const ti = words.indexOf('timeout', 3);
        if (ti >= 0) {
          const v = parseUint(words[ti + 1] ?? '', 0, 0xffffffff);
          if (v < 0) fail(`bad timeout \`${words[ti + 1] ?? ''}'`, ti + 1);
          s.timeout = Math.min(v, IPSET_MAX_TIMEOUT);
        }
        cat.put(s);
        lists.push({ set: s, members: [], line: n + 1 });
        return;
      }
      const kinds = TYPES[type];
      if (kinds === undefined) fail(`set type \`${type}' is not supported`, 2);
      const mm = words.indexOf('markmask');
      const markMask = mm >= 0 ? parseUint(words[mm + 1] ?? '', 0, 0xffffffff) : 0xffffffff;
      const rs = new RangeSet(name, type, kinds, 4, markMask < 0 ? 0xffffffff : markMask);
      configure(rs, words, fail);
      cat.put(rs);
      return;
    }
    if (cmd === 'add' || cmd === '-A') {
      const set = cat.get(name);
      if (set === undefined) fail(`add to unknown set \`${name}' (create it first)`, 1);
      const elem = words[2] ?? fail('missing element', 1);
      const ti = words.indexOf('timeout', 3);
      let timeout = 0;
      if (ti >= 0) {
        const v = parseUint(words[ti + 1] ?? '', 0, 0xffffffff);
        if (v < 0) fail(`bad timeout \`${words[ti + 1] ?? ''}'`, ti + 1);
        if ((set as RangeSet | ListSet).timeout < 0) fail(`set \`${name}' was created without timeout support`, ti);
        timeout = Math.min(v, IPSET_MAX_TIMEOUT);
      }
      if (set instanceof ListSet) {
        lists.find((l) => l.set === set)!.members.push([elem, timeout]);
        return;
      }
      const rs = set as RangeSet;
      const parts = elem.split(',');
      if (parts.length !== rs.dimensions) fail(`element \`${elem}' does not have ${rs.dimensions} part(s) for ${rs.type}`, 2);
      const values = parts.map((p, i) => dimValues(rs, i, p, (m: string): never => fail(m, 2)));
      const total = values.reduce((x, v) => x * v.length, 1);
      if (!rs.type.startsWith('bitmap:') && rs.size + total > rs.maxelem) fail(`set \`${name}' is full: maxelem ${rs.maxelem} reached`, 2);
      const deadline = timeout === 0 || rs.timeout < 0 ? Infinity : msecsToJiffies(timeout * 1000, rs.hz);
      const nomatch = words.includes('nomatch');
      // every combination of the dimensions' values, first dimension slowest
      const idx = new Array<number>(values.length).fill(0);
      const lo = new Array<number>(values.length);
      const hi = new Array<number>(values.length);
      const cidr = new Array<number>(values.length);
      for (let k = 0; k < total; k++) {
        values.forEach((v, i) => ([lo[i], hi[i], cidr[i]] = v[idx[i]!]!));
        rs.insert(lo, hi, cidr, nomatch, deadline);
        for (let i = values.length - 1; i >= 0 && ++idx[i]! === values[i]!.length; i--) idx[i] = 0;
      }
      return;
    }
    fail(`unknown ipset command \`${cmd}' (expected create or add)`);
  });
  for (const l of lists) {
    for (const [m, timeout] of l.members) {
      const s = cat.get(m);
      if (s === undefined) throw new RuleError('ERR_IPSET_SYNTAX', `list:set ${l.set.name} names unknown set \`${m}'`, { path: path || undefined, line: l.line });
      l.set.addMember(s, timeout);
    }
  }
  return cat;
}

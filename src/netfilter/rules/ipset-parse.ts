// Reads `ipset save` output (`create NAME TYPE [family inet] ...` / `add NAME ELEMENT [nomatch] ...`) into an
// IpSetCatalog for `-m set`. Types: hash:ip, hash:net, hash:ip,port, hash:net,port, hash:ip,port,ip,
// hash:ip,port,net, hash:net,port,net, hash:net,net, hash:ip,mark, bitmap:ip, bitmap:port, list:set.
// Elements become inclusive numeric ranges per dimension; the most specific matching element wins (nomatch).

import { RuleError } from '../../util/errors.js';
import type { Skb } from '../skb.js';
import type { IpSet, IpSetCatalog } from './ipset.js';
import { parseIpv4Strict } from './addr.js';
import { prefixMask } from '../../util/ipv4.js';
import { parsePort, parseUint } from './values.js';
import { parseProtocol } from './names.js';
import { ICMP_NAMES } from './names.js';

/** How one dimension of an element is read from a packet. */
const Dim = { IP: 0, PORT: 1, PORT_ANY: 2, MARK: 3 } as const;
type DimKind = (typeof Dim)[keyof typeof Dim];

const TYPES: Readonly<Record<string, readonly DimKind[]>> = {
  'hash:ip': [Dim.IP],
  'hash:net': [Dim.IP],
  'hash:ip,port': [Dim.IP, Dim.PORT],
  'hash:net,port': [Dim.IP, Dim.PORT],
  'hash:ip,port,ip': [Dim.IP, Dim.PORT, Dim.IP],
  'hash:ip,port,net': [Dim.IP, Dim.PORT, Dim.IP],
  'hash:net,port,net': [Dim.IP, Dim.PORT, Dim.IP],
  'hash:net,net': [Dim.IP, Dim.IP],
  'hash:ip,mark': [Dim.IP, Dim.MARK],
  'bitmap:ip': [Dim.IP],
  'bitmap:port': [Dim.PORT_ANY],
};

/** A set of elements, each a box of inclusive [lo, hi] ranges, one per dimension. */
export class RangeSet implements IpSet {
  readonly name: string;
  readonly type: string;
  readonly family: 4 | 6;
  readonly dimensions: number;
  readonly kinds: readonly DimKind[];
  private lo: Uint32Array;
  private hi: Uint32Array;
  /** Specificity (sum of prefix bits) and nomatch flag per element. */
  private spec: Int32Array;
  private nomatch: Uint8Array;
  private count: number;
  private readonly markMask: number;
  /** IPSET_TYPE_NOMATCH: the types with a net dimension keep nomatch entries (hash:net, hash:ip,port,net ...). */
  private readonly hasNomatch: boolean;

  constructor(name: string, type: string, kinds: readonly DimKind[], family: 4 | 6, markMask = 0xffffffff) {
    this.name = name;
    this.type = type;
    this.family = family;
    this.kinds = kinds;
    this.dimensions = kinds.length;
    this.lo = new Uint32Array(16 * kinds.length);
    this.hi = new Uint32Array(16 * kinds.length);
    this.spec = new Int32Array(16);
    this.nomatch = new Uint8Array(16);
    this.count = 0;
    this.markMask = markMask;
    this.hasNomatch = type.startsWith('hash:') && type.includes('net');
  }

  /** Add one element (load time). */
  add(lo: readonly number[], hi: readonly number[], spec: number, nomatch: boolean): void {
    const d = this.dimensions;
    if (this.count === this.spec.length) {
      const grow = <T extends Uint32Array | Int32Array | Uint8Array>(a: T, n: number): T => {
        const b = new (a.constructor as new (n: number) => T)(n);
        b.set(a);
        return b;
      };
      this.lo = grow(this.lo, this.lo.length * 2);
      this.hi = grow(this.hi, this.hi.length * 2);
      this.spec = grow(this.spec, this.spec.length * 2);
      this.nomatch = grow(this.nomatch, this.nomatch.length * 2);
    }
    for (let i = 0; i < d; i++) {
      this.lo[this.count * d + i] = lo[i]!;
      this.hi[this.count * d + i] = hi[i]!;
    }
    this.spec[this.count] = spec;
    this.nomatch[this.count] = nomatch ? 1 : 0;
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** HOT: the packet's value for dimension i from the source or destination side. */
  private key(skb: Skb, i: number, src: boolean): number {
    const m = skb.meta;
    switch (this.kinds[i]) {
      case Dim.IP:
        return src ? m.saddr : m.daddr;
      case Dim.PORT: {
        const proto = m.ipProto;
        if (proto === 1) return ((proto << 16) | (m.icmpType << 8) | m.icmpCode) >>> 0;
        return ((proto << 16) | (src ? m.sport : m.dport)) >>> 0;
      }
      case Dim.PORT_ANY:
        return src ? m.sport : m.dport;
      default:
        return (skb.mark & this.markMask) >>> 0;
    }
  }

  // HOT
  test(skb: Skb, srcFlags: number, returnNomatch: boolean): boolean {
    const d = this.dimensions;
    let best = -1;
    let bestNomatch = 0;
    for (let e = 0; e < this.count; e++) {
      let ok = true;
      for (let i = 0; i < d; i++) {
        const k = this.key(skb, i, (srcFlags & (1 << i)) !== 0);
        if (k < this.lo[e * d + i]! || k > this.hi[e * d + i]!) {
          ok = false;
          break;
        }
      }
      if (ok && this.spec[e]! > best) {
        best = this.spec[e]!;
        bestNomatch = this.nomatch[e]!;
      }
    }
    if (best < 0) return false;
    // IPSET_FLAG_RETURN_NOMATCH on a type with IPSET_TYPE_NOMATCH: ret > 0 and -ENOTEMPTY trade places
    return (bestNomatch === 0) !== (returnNomatch && this.hasNomatch);
  }
}

/** list:set: a packet is in the list when it is in any member set. */
export class ListSet implements IpSet {
  readonly type = 'list:set';
  readonly family: 4 | 6 = 4;
  members: IpSet[] = [];
  constructor(readonly name: string) {}
  get dimensions(): number {
    return this.members.reduce((m, s) => Math.max(m, s.dimensions), 1);
  }
  // HOT: list_set_ktest asks each member with the same flags
  test(skb: Skb, srcFlags: number, returnNomatch: boolean): boolean {
    for (let i = 0; i < this.members.length; i++) if (this.members[i]!.test(skb, srcFlags, returnNomatch)) return true;
    return false;
  }
}

/** Catalog built from `ipset save` text. */
export class IpSetFile implements IpSetCatalog {
  private readonly sets = new Map<string, IpSet>();
  get(name: string): IpSet | undefined {
    return this.sets.get(name);
  }
  names(): string[] {
    return [...this.sets.keys()].sort();
  }
  /** Register a set (parser and tests). */
  put(s: IpSet): void {
    this.sets.set(s.name, s);
  }
}

function ipRange(s: string, fail: (m: string) => never): [number, number, number] {
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const a = parseIpv4Strict(s.slice(0, slash));
    const bits = parseUint(s.slice(slash + 1), 0, 32);
    if (a < 0 || bits < 0) fail(`bad network \`${s}'`);
    const m = prefixMask(bits);
    const net = (a & m) >>> 0;
    return [net, (net | ~m) >>> 0, bits];
  }
  const dash = s.indexOf('-');
  if (dash >= 0) {
    const a = parseIpv4Strict(s.slice(0, dash));
    const b = parseIpv4Strict(s.slice(dash + 1));
    if (a < 0 || b < 0 || a > b) fail(`bad address range \`${s}'`);
    return [a, b, 32];
  }
  const a = parseIpv4Strict(s);
  if (a < 0) fail(`bad address \`${s}'`);
  return [a, a, 32];
}

function portRange(s: string, withProto: boolean, fail: (m: string) => never): [number, number] {
  let proto = 6;
  let p = s;
  const colon = s.indexOf(':');
  if (withProto && colon >= 0) {
    proto = parseProtocol(s.slice(0, colon));
    if (proto < 0) fail(`bad protocol in \`${s}'`);
    p = s.slice(colon + 1);
  }
  if (withProto && proto === 1) {
    // icmp:TYPE/CODE or icmp:name
    const named = ICMP_NAMES.find((n) => n.name === p);
    let type: number;
    let lo: number;
    let hi: number;
    if (named !== undefined) [type, lo, hi] = [named.type, named.codeMin, named.codeMax];
    else {
      const [t, c] = p.split('/');
      type = parseUint(t ?? '', 0, 255);
      lo = hi = parseUint(c ?? '0', 0, 255);
      if (type < 0 || lo < 0) fail(`bad ICMP type/code \`${s}'`);
    }
    return [((proto << 16) | (type << 8) | lo) >>> 0, ((proto << 16) | (type << 8) | hi) >>> 0];
  }
  const dash = p.indexOf('-');
  const a = parsePort(dash < 0 ? p : p.slice(0, dash), withProto ? null : null);
  const b = dash < 0 ? a : parsePort(p.slice(dash + 1), null);
  if (a < 0 || b < 0 || a > b) fail(`bad port \`${s}'`);
  const base = withProto ? proto << 16 : 0;
  return [(base | a) >>> 0, (base | b) >>> 0];
}

/** Parse `ipset save` text. Throws RuleError (ERR_IPSET_SYNTAX) with path/line/column. */
export function parseIpsetSave(text: string, path = ''): IpSetFile {
  const cat = new IpSetFile();
  const lists: Array<{ set: ListSet; members: string[]; line: number }> = [];
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
        cat.put(s);
        lists.push({ set: s, members: [], line: n + 1 });
        return;
      }
      const kinds = TYPES[type];
      if (kinds === undefined) fail(`set type \`${type}' is not supported`, 2);
      const mm = words.indexOf('markmask');
      const markMask = mm >= 0 ? parseUint(words[mm + 1] ?? '', 0, 0xffffffff) : 0xffffffff;
      cat.put(new RangeSet(name, type, kinds, 4, markMask < 0 ? 0xffffffff : markMask));
      return;
    }
    if (cmd === 'add' || cmd === '-A') {
      const set = cat.get(name);
      if (set === undefined) fail(`add to unknown set \`${name}' (create it first)`, 1);
      const elem = words[2] ?? fail('missing element', 1);
      if (set instanceof ListSet) {
        lists.find((l) => l.set === set)!.members.push(elem);
        return;
      }
      const rs = set as RangeSet;
      const parts = elem.split(',');
      if (parts.length !== rs.dimensions) fail(`element \`${elem}' does not have ${rs.dimensions} part(s) for ${rs.type}`, 2);
      const lo: number[] = [];
      const hi: number[] = [];
      let spec = 0;
      parts.forEach((p, i) => {
        const f = (m: string): never => fail(m, 2);
        switch (rs.kinds[i]) {
          case Dim.IP: {
            const [a, b, bits] = ipRange(p, f);
            lo.push(a);
            hi.push(b);
            spec += bits;
            break;
          }
          case Dim.PORT:
          case Dim.PORT_ANY: {
            const [a, b] = portRange(p, rs.kinds[i] === Dim.PORT, f);
            lo.push(a);
            hi.push(b);
            break;
          }
          default: {
            const v = parseUint(p, 0, 0xffffffff);
            if (v < 0) f(`bad mark \`${p}'`);
            lo.push(v);
            hi.push(v);
          }
        }
      });
      rs.add(lo, hi, spec, words.includes('nomatch'));
      return;
    }
    fail(`unknown ipset command \`${cmd}' (expected create or add)`);
  });
  for (const l of lists) {
    for (const m of l.members) {
      const s = cat.get(m);
      if (s === undefined) throw new RuleError('ERR_IPSET_SYNTAX', `list:set ${l.set.name} names unknown set \`${m}'`, { path: path || undefined, line: l.line });
      l.set.members.push(s);
    }
  }
  return cat;
}

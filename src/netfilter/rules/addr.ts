// Address arguments as iptables reads and prints them: xtables' numeric IPv4 parser (autocompleted network
// addresses `10/8`, octal/hex octets), dotted or prefix masks, the save form `a.b.c.d/len` (dotted when the
// mask is not contiguous), and IPv6 text with glibc inet_pton/inet_ntop rules for ip6tables-save files.

import type { Ip6Prefix } from './ast.js';
import { maskToPrefix, prefixMask, formatIpv4 } from '../../util/ipv4.js';
import { parseUint } from './values.js';

/**
 * __numeric_to_ipaddr: up to four octets, each xtables_strtoui base 0 in 0..255; fewer than four complete the
 * address with zeros (`10.1` = 10.1.0.0) unless it is a mask. Returns the address or -1.
 */
export function parseIpv4Numeric(s: string, isMask = false): number {
  if (s.length === 0 || s.length > 19) return -1;
  const parts = s.split('.');
  if (parts.length > 4) return -1;
  if (parts.length < 4 && isMask) return -1;
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    let octet = 0;
    if (p !== undefined) {
      octet = parseUint(p, 0, 255);
      if (octet < 0) return -1;
    }
    v = v * 256 + octet;
  }
  return v >>> 0;
}

/** An IPv4 `addr[/mask]` argument: address already masked, mask as unsigned 32-bit. */
export interface Ipv4Net {
  addr: number;
  mask: number;
}

/**
 * xtables_ipparse_any for one address (no lists, no host names): `addr`, `addr/len` (0..32) or
 * `addr/dotted-mask`. Returns the masked network or an error message.
 */
export function parseIpv4Net(arg: string): Ipv4Net | string {
  const slash = arg.indexOf('/');
  const a = slash < 0 ? arg : arg.slice(0, slash);
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = arg.slice(slash + 1);
    if (m.includes('.')) {
      mask = parseIpv4Numeric(m, true);
      if (mask < 0) return `invalid mask \`${m}' specified`;
    } else {
      const bits = parseUint(m, 0, 32);
      if (bits < 0) return `invalid mask \`${m}' specified`;
      mask = prefixMask(bits);
    }
  }
  if (a.includes(',')) return `address lists are not supported (\`${arg}'): write one rule per address`;
  const addr = parseIpv4Numeric(a);
  if (addr < 0) {
    if (/[a-zA-Z]/.test(a) && !a.includes(':')) return `host name \`${a}' cannot be resolved offline: give a numeric address`;
    return `invalid address \`${a}'`;
  }
  return { addr: (addr & mask) >>> 0, mask: mask >>> 0 };
}

/** print_ip of iptables-save: `a.b.c.d/len`, or `/dotted` for a non-contiguous mask. */
export function formatIpv4Net(addr: number, mask: number): string {
  const len = maskToPrefix(mask);
  return len >= 0 ? `${formatIpv4(addr)}/${len}` : `${formatIpv4(addr)}/${formatIpv4(mask)}`;
}

const DOTTED_QUAD = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

/** A plain dotted-quad IPv4 address (no autocompletion), as NAT and iprange arguments take: value or -1. */
export function parseIpv4Strict(s: string): number {
  // inet_pton(AF_INET): exactly four decimal octets, no leading zeros
  const m = DOTTED_QUAD.exec(s);
  if (m === null) return -1;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const n = Number(m[i]);
    if (n > 255) return -1;
    v = v * 256 + n;
  }
  return v >>> 0;
}

// ---- IPv6 ----

/** inet_pton(AF_INET6): 8 16-bit words, or null. */
export function parseIpv6(s: string): number[] | null {
  if (s.length === 0 || s.length > 45) return null;
  let str = s;
  if (str.includes('.')) {
    // embedded IPv4 in the last 32 bits: rewrite it as two hex groups
    const lastColon = str.lastIndexOf(':');
    if (lastColon < 0) return null;
    const v4 = parseIpv4Strict(str.slice(lastColon + 1));
    if (v4 < 0) return null;
    str = str.slice(0, lastColon + 1) + (v4 >>> 16).toString(16) + ':' + (v4 & 0xffff).toString(16);
  }
  const dbl = str.indexOf('::');
  if (dbl >= 0 && str.indexOf('::', dbl + 1) >= 0) return null;
  const parseGroup = (g: string): number => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : -1);
  let head: number[] = [];
  let rest: number[] = [];
  if (dbl >= 0) {
    const h = str.slice(0, dbl);
    const r = str.slice(dbl + 2);
    head = h === '' ? [] : h.split(':').map(parseGroup);
    rest = r === '' ? [] : r.split(':').map(parseGroup);
  } else {
    head = str === '' ? [] : str.split(':').map(parseGroup);
  }
  if (head.some((x) => x < 0) || rest.some((x) => x < 0)) return null;
  const given = head.length + rest.length;
  if (dbl >= 0) {
    if (given > 7) return null;
    return [...head, ...new Array<number>(8 - given).fill(0), ...rest];
  }
  if (given !== 8) return null;
  return head;
}

/** glibc inet_ntop(AF_INET6): longest zero run (first on ties, at least 2) as `::`, embedded IPv4 forms. */
export function formatIpv6(w: readonly number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase >= 0) {
      if (bestBase < 0 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && (bestBase < 0 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase >= 0 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${w[6]! >>> 8}.${w[6]! & 0xff}.${w[7]! >>> 8}.${w[7]! & 0xff}`;
      return out;
    }
    out += w[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

function wordsToU32(w: readonly number[]): [number, number, number, number] {
  return [((w[0]! << 16) | w[1]!) >>> 0, ((w[2]! << 16) | w[3]!) >>> 0, ((w[4]! << 16) | w[5]!) >>> 0, ((w[6]! << 16) | w[7]!) >>> 0];
}

function u32ToWords(u: readonly number[]): number[] {
  const w: number[] = [];
  for (const x of u) w.push(x >>> 16, x & 0xffff);
  return w;
}

function prefixMask6(len: number): [number, number, number, number] {
  const m: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, len - i * 32));
    m[i] = prefixMask(bits);
  }
  return m;
}

function maskLen6(m: readonly number[]): number {
  let len = 0;
  let ended = false;
  for (const word of m) {
    const p = maskToPrefix(word);
    if (p < 0) return -1;
    if (ended && p !== 0) return -1;
    len += p;
    if (p < 32) ended = true;
  }
  return len;
}

/** An IPv6 `addr[/len|/mask]` argument, masked; or an error message. */
export function parseIpv6Net(arg: string): Ip6Prefix | string {
  const slash = arg.indexOf('/');
  const a = slash < 0 ? arg : arg.slice(0, slash);
  let mask: [number, number, number, number] = [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff];
  if (slash >= 0) {
    const m = arg.slice(slash + 1);
    if (m.includes(':')) {
      const mw = parseIpv6(m);
      if (mw === null) return `invalid mask \`${m}' specified`;
      mask = wordsToU32(mw);
    } else {
      const bits = parseUint(m, 0, 128);
      if (bits < 0) return `invalid mask \`${m}' specified`;
      mask = prefixMask6(bits);
    }
  }
  const w = parseIpv6(a);
  if (w === null) return `invalid IPv6 address \`${a}'`;
  const u = wordsToU32(w);
  const addr: [number, number, number, number] = [
    (u[0] & mask[0]) >>> 0,
    (u[1] & mask[1]) >>> 0,
    (u[2] & mask[2]) >>> 0,
    (u[3] & mask[3]) >>> 0,
  ];
  return { addr, mask, len: maskLen6(mask), text: formatIpv6(u32ToWords(addr)) };
}

/** ip6tables-save form of a prefix: `addr/len`, or `addr/mask-as-address` when not contiguous. */
export function formatIpv6Net(p: Ip6Prefix): string {
  return p.len >= 0 ? `${p.text}/${p.len}` : `${p.text}/${formatIpv6(u32ToWords(p.mask))}`;
}

/** A plain IPv6 address (NAT targets): canonical text or null. */
export function canonicalIpv6(s: string): string | null {
  const w = parseIpv6(s);
  return w === null ? null : formatIpv6(w);
}

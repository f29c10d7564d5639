// Names for the bytes of an IPv4 packet (ip.ttl, tcp.opt.mss, icmp.inner.udp.sport ...), one-line packet
// summaries and checksum verification: what the agreement harness needs to say *which field* of which packet
// differs from the kernel's, and to check a checksum it had to leave out of the byte comparison.

import { be16, be32 } from '../../src/util/bytes.js';
import { csumVerifies, pseudoHeaderSum } from '../../src/wire/checksum.js';

/** A named byte range inside an IP packet. */
export interface Field {
  name: string;
  start: number;
  len: number;
}

const TCP_OPT: Record<number, string> = { 0: 'eol', 1: 'nop', 2: 'mss', 3: 'wscale', 4: 'sack_perm', 5: 'sack', 8: 'timestamp' };
/** ICMP types whose body quotes the offending packet. */
export const ICMP_ERROR_TYPES: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);

export function ipv4Str(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Header fields of the IPv4 packet in `ip` (bytes past the end of the buffer are left out). */
export function fieldsOf(ip: Uint8Array, prefix = '', depth = 0): Field[] {
  const out: Field[] = [];
  const add = (name: string, start: number, len: number): void => {
    if (start < ip.length && len > 0) out.push({ name: prefix + name, start, len: Math.min(len, ip.length - start) });
  };
  if (ip.length < 1) return out;
  const ihl = (ip[0]! & 15) * 4;
  add('ip.version_ihl', 0, 1);
  add('ip.tos', 1, 1);
  add('ip.len', 2, 2);
  add('ip.id', 4, 2);
  add('ip.flags_fragoff', 6, 2);
  add('ip.ttl', 8, 1);
  add('ip.proto', 9, 1);
  add('ip.checksum', 10, 2);
  add('ip.src', 12, 4);
  add('ip.dst', 16, 4);
  if (ihl > 20) add('ip.options', 20, ihl - 20);
  if (ip.length < 20 || ihl < 20) return out;
  const fragOff = be16(ip, 6) & 0x1fff;
  const l4 = ihl;
  const proto = ip[9]!;
  if (fragOff !== 0) {
    add('ip.fragment_data', l4, ip.length - l4);
    return out;
  }
  if (proto === 6) {
    add('tcp.sport', l4, 2);
    add('tcp.dport', l4 + 2, 2);
    add('tcp.seq', l4 + 4, 4);
    add('tcp.ack', l4 + 8, 4);
    add('tcp.doff', l4 + 12, 1);
    add('tcp.flags', l4 + 13, 1);
    add('tcp.window', l4 + 14, 2);
    add('tcp.checksum', l4 + 16, 2);
    add('tcp.urgent', l4 + 18, 2);
    const doff = ip.length > l4 + 12 ? (ip[l4 + 12]! >> 4) * 4 : 20;
    let o = l4 + 20;
    const end = Math.min(l4 + doff, ip.length);
    while (o < end) {
      const kind = ip[o]!;
      const olen = kind <= 1 ? 1 : o + 1 < end ? Math.max(ip[o + 1]!, 2) : 1;
      const name = TCP_OPT[kind] ?? `kind${kind}`;
      if (kind === 2 && olen === 4) {
        add('tcp.opt.mss.kind_len', o, 2);
        add('tcp.opt.mss', o + 2, 2);
      } else add(`tcp.opt.${name}`, o, olen);
      o += olen;
    }
    add('tcp.payload', l4 + doff, ip.length - l4 - doff);
  } else if (proto === 17) {
    add('udp.sport', l4, 2);
    add('udp.dport', l4 + 2, 2);
    add('udp.len', l4 + 4, 2);
    add('udp.checksum', l4 + 6, 2);
    add('udp.payload', l4 + 8, ip.length - l4 - 8);
  } else if (proto === 1) {
    add('icmp.type', l4, 1);
    add('icmp.code', l4 + 1, 1);
    add('icmp.checksum', l4 + 2, 2);
    const type = ip.length > l4 ? ip[l4]! : -1;
    if (ICMP_ERROR_TYPES.has(type) && depth === 0) {
      if (type === 3) {
        add('icmp.unused', l4 + 4, 2);
        add('icmp.mtu', l4 + 6, 2);
      } else add('icmp.unused', l4 + 4, 4);
      const inner = ip.subarray(l4 + 8);
      for (const f of fieldsOf(inner, `${prefix}icmp.inner.`, depth + 1)) out.push({ name: f.name, start: f.start + l4 + 8, len: f.len });
    } else {
      add('icmp.id', l4 + 4, 2);
      add('icmp.seq', l4 + 6, 2);
      add('icmp.data', l4 + 8, ip.length - l4 - 8);
    }
  } else add('ip.payload', l4, ip.length - l4);
  return out;
}

/** The field that holds byte `off` (the deepest one), or a pseudo-field for bytes beyond every header. */
export function fieldAt(fields: readonly Field[], off: number): Field {
  let best: Field | null = null;
  for (const f of fields) if (off >= f.start && off < f.start + f.len) best = f;
  return best ?? { name: 'bytes', start: off, len: 1 };
}

/** A field's value as text: addresses dotted, small integers in decimal and hex, longer runs as hex. */
export function fieldValue(ip: Uint8Array, f: Field): string {
  if (f.start >= ip.length) return '(absent)';
  const len = Math.min(f.len, ip.length - f.start);
  if (len === 4 && /\.(src|dst)$/.test(f.name)) return ipv4Str(be32(ip, f.start));
  if (len === 1) return `${ip[f.start]!} (0x${ip[f.start]!.toString(16).padStart(2, '0')})`;
  if (len === 2) return `${be16(ip, f.start)} (0x${be16(ip, f.start).toString(16).padStart(4, '0')})`;
  if (len === 4) return `${be32(ip, f.start)} (0x${be32(ip, f.start).toString(16).padStart(8, '0')})`;
  let hex = '';
  for (let i = 0; i < Math.min(len, 24); i++) hex += ip[f.start + i]!.toString(16).padStart(2, '0');
  return `${len} bytes ${hex}${len > 24 ? '…' : ''}`;
}

const TCP_FLAG_CHARS = 'FSRPAUEC';

/** "tcp 198.51.100.1:8080 > 198.51.100.10:40080 [RA] ip.len 40" style one-liner. */
export function summarize(ip: Uint8Array): string {
  if (ip.length < 20) return `short packet (${ip.length} bytes)`;
  const ihl = (ip[0]! & 15) * 4;
  const src = ipv4Str(be32(ip, 12));
  const dst = ipv4Str(be32(ip, 16));
  const tot = be16(ip, 2);
  const frag = be16(ip, 6);
  const fragTxt = frag & 0x3fff ? ` frag off ${(frag & 0x1fff) * 8}${frag & 0x2000 ? ' MF' : ''}` : '';
  const l4 = ihl;
  const proto = ip[9]!;
  if ((frag & 0x1fff) === 0 && proto === 6 && ip.length >= l4 + 14) {
    let flags = '';
    for (let i = 0; i < 8; i++) if (ip[l4 + 13]! & (1 << i)) flags += TCP_FLAG_CHARS[i];
    return `tcp ${src}:${be16(ip, l4)} > ${dst}:${be16(ip, l4 + 2)} [${flags}] seq ${be32(ip, l4 + 4)} ip.len ${tot}${fragTxt}`;
  }
  if ((frag & 0x1fff) === 0 && proto === 17 && ip.length >= l4 + 4) return `udp ${src}:${be16(ip, l4)} > ${dst}:${be16(ip, l4 + 2)} ip.len ${tot}${fragTxt}`;
  if ((frag & 0x1fff) === 0 && proto === 1 && ip.length >= l4 + 8) {
    const t = ip[l4]!;
    const rest = ICMP_ERROR_TYPES.has(t) ? ` quoting [${summarize(ip.subarray(l4 + 8))}]` : ` id ${be16(ip, l4 + 4)} seq ${be16(ip, l4 + 6)}`;
    return `icmp ${src} > ${dst} type ${t} code ${ip[l4 + 1]!}${rest} ip.len ${tot}${fragTxt}`;
  }
  return `ip proto ${proto} ${src} > ${dst} ip.len ${tot}${fragTxt}`;
}

/** Names of the checksums of `ip` that do not verify (IP header; TCP/UDP/ICMP when the packet is whole). */
export function badChecksums(ip: Uint8Array): string[] {
  const bad: string[] = [];
  if (ip.length < 20) return ['ip.checksum'];
  const ihl = (ip[0]! & 15) * 4;
  if (!csumVerifies(ip, 0, ihl, 0)) bad.push('ip.checksum');
  const tot = be16(ip, 2);
  const frag = be16(ip, 6);
  if (frag & 0x3fff || ip.length < tot) return bad; // fragments and snapped packets: no L4 check
  const l4len = tot - ihl;
  const proto = ip[9]!;
  const pseudo = pseudoHeaderSum(be32(ip, 12), be32(ip, 16), proto, l4len);
  if (proto === 6 && l4len >= 20 && !csumVerifies(ip, ihl, l4len, pseudo)) bad.push('tcp.checksum');
  if (proto === 17 && l4len >= 8 && be16(ip, ihl + 6) !== 0 && !csumVerifies(ip, ihl, l4len, pseudo)) bad.push('udp.checksum');
  if (proto === 1 && l4len >= 8 && !csumVerifies(ip, ihl, l4len, 0)) bad.push('icmp.checksum');
  return bad;
}

/**
 * True for an ICMP message the host's own ICMP stack generated (errors, echo/timestamp replies): DF is clear
 * and the source is one of the host's addresses — or, for an error, its IP ID is none the host received (it
 * was made for a packet the host had NATed and left un-NATed). Its IP ID comes from the kernel's ident
 * generator (`ip_select_ident`, keyed by a boot-time secret), which no replay can reproduce.
 */
export function isHostIcmp(ip: Uint8Array, localAddrs: ReadonlySet<number>, receivedIcmp: ReadonlySet<number> | null = null): boolean {
  if (ip.length < 21 || ip[9] !== 1 || be16(ip, 6) & 0x4000) return false;
  const t = ip[(ip[0]! & 15) * 4];
  if (!localAddrs.has(be32(ip, 12))) {
    // an error the host made for a packet it had NATed leaves un-NATed, from the packet's original destination
    return receivedIcmp !== null && t !== undefined && ICMP_ERROR_TYPES.has(t) && !receivedIcmp.has(be16(ip, 4));
  }
  return t === 0 || t === 14 || t === 16 || t === 18 || (t !== undefined && ICMP_ERROR_TYPES.has(t));
}

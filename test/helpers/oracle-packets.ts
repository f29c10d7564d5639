// Packet agreement: the IPv4 packets the kernel sent on each interface (SLL2 "outgoing" records of
// host-any.pcap, or per-interface captures with the MAC direction rule) against ours (tx/<iface>.pcap), in
// order, every byte from the IP header on; only truly unpredictable fields are masked (then verified).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { be16, be32, putBe16 } from '../../src/util/bytes.js';
import { readCapture, ipv4Offset, LINK_ETHERNET, type PcapFrame } from './oracle-pcap.js';
import { fieldsOf, fieldAt, fieldValue, summarize, badChecksums, isHostIcmp, ICMP_ERROR_TYPES, ipv4Str, type Field } from './oracle-fields.js';
import type { NatPortMapping } from './oracle-conntrack.js';
import { relTime, type AgreementFailure } from './oracle-report.js';

/** One IPv4 packet sent on an interface. */
export interface TxPacket {
  iface: string;
  /** 0-based index among the IPv4 packets sent on this interface. */
  index: number;
  tsNs: bigint;
  /** From the IP header on, cut to the IP total length. */
  ip: Uint8Array;
  /** file#frame, for messages. */
  origin: string;
}

function ipOf(f: PcapFrame): Uint8Array | null {
  const off = ipv4Offset(f.linkType, f.data);
  if (off < 0 || f.data.length < off + 20) return null;
  const tot = be16(f.data, off + 2);
  return f.data.subarray(off, Math.min(f.data.length, off + Math.max(tot, 20)));
}

function push(map: Map<string, TxPacket[]>, iface: string, tsNs: bigint, ip: Uint8Array, origin: string): void {
  let l = map.get(iface);
  if (!l) map.set(iface, (l = []));
  l.push({ iface, index: l.length, tsNs, ip, origin });
}

/** Kernel TX from a `tcpdump -i any -y LINUX_SLL2` capture: packet type 4 (outgoing), named by ifindex. */
export function kernelTxFromAny(file: string, ifNames: ReadonlyMap<number, string>): Map<string, TxPacket[]> {
  const out = new Map<string, TxPacket[]>();
  for (const f of readCapture(file)) {
    if (f.pktType !== 4) continue;
    const ip = ipOf(f);
    if (!ip) continue;
    push(out, ifNames.get(f.ifIndex) ?? `ifindex${f.ifIndex}`, f.tsNs, ip, `${path.basename(file)}#${f.index + 1}`);
  }
  return out;
}

/**
 * The IP IDs of the ICMP messages the host received (an `any` capture: every frame not sent by the host):
 * an ICMP error leaving with one of these was forwarded, any other the host made itself.
 */
export function receivedIcmpIds(file: string): Set<number> {
  const ids = new Set<number>();
  for (const f of readCapture(file)) {
    if (f.pktType === 4) continue;
    const ip = ipOf(f);
    if (ip && ip.length >= 20 && ip[9] === 1) ids.add((ip[4]! << 8) | ip[5]!);
  }
  return ids;
}

/**
 * Kernel TX from one Ethernet capture of one interface without direction flags. `peerMac`: the MAC of the
 * other end of a veth (a frame from it, not addressed to it, is RX); else `ownMac` (a bridge device: a frame
 * from its own MAC is TX).
 */
export function kernelTxFromInterface(file: string, iface: string, dir: { peerMac?: string; ownMac?: string }): TxPacket[] {
  const out: TxPacket[] = [];
  for (const f of readCapture(file)) {
    if (f.linkType !== LINK_ETHERNET || f.data.length < 14) continue;
    const mac = (o: number): string => Array.from(f.data.subarray(o, o + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
    const dst = mac(0);
    const src = mac(6);
    const tx = dir.peerMac ? !(src === dir.peerMac && dst !== dir.peerMac) : src === dir.ownMac;
    const ip = tx ? ipOf(f) : null;
    if (ip) out.push({ iface, index: out.length, tsNs: f.tsNs, ip, origin: `${path.basename(file)}#${f.index + 1}` });
  }
  return out;
}

/** Our TX: every tx/<iface>.pcap (or .pcapng) in a replay output directory. */
export function oursTx(outDir: string): Map<string, TxPacket[]> {
  const out = new Map<string, TxPacket[]>();
  const dir = path.join(outDir, 'tx');
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir).sort()) {
    const m = /^(.+)\.(pcap|pcapng)$/.exec(name);
    if (!m) continue;
    out.set(m[1]!, []);
    for (const f of readCapture(path.join(dir, name))) {
      const ip = ipOf(f);
      if (ip) push(out, m[1]!, f.tsNs, ip, `tx/${name}#${f.index + 1}`);
    }
  }
  return out;
}

/** What the comparison may translate or leave out, and why. */
export interface PacketContext {
  /** The host's IPv4 addresses (host-snapshot/ip-addr.json): kernel-generated ICMP comes from these. */
  localAddrs: ReadonlySet<number>;
  /**
   * IP IDs of the ICMP the host received (receivedIcmpIds), or null when the capture does not say: an ICMP
   * error from a foreign address whose ID is not among them was made by the host and then un-NATed.
   */
  receivedIcmp: ReadonlySet<number> | null;
  portMap: readonly NatPortMapping[];
  /** Time origin for messages (first frame of the input capture). */
  baseNs: bigint;
}

interface Normalized {
  bytes: Uint8Array;
  masked: Field[];
  /** Something is masked: our own checksums must then verify on their own. */
  verify: boolean;
  /** Our packet carries the kernel's port of a flow our conntrack table says we mapped elsewhere. */
  conflict: string | null;
}

/** A mapped flow whose packet in ours still carries the kernel's port instead of our own mapping. */
function portConflict(ip: Uint8Array, map: readonly NatPortMapping[]): string | null {
  if (ip.length < 28 || be16(ip, 6) & 0x1fff) return null;
  const l4 = (ip[0]! & 15) * 4;
  const proto = ip[9]!;
  if ((proto !== 6 && proto !== 17) || ip.length < l4 + 4) return null;
  const src = ipv4Str(be32(ip, 12));
  const dst = ipv4Str(be32(ip, 16));
  for (const m of map) {
    if (m.proto !== proto || m.ours === m.kernel) continue;
    const fwd = src === m.addr && be16(ip, l4) === m.kernel && dst === m.peer && be16(ip, l4 + 2) === m.peerPort;
    const rev = dst === m.addr && be16(ip, l4 + 2) === m.kernel && src === m.peer && be16(ip, l4) === m.peerPort;
    if (fwd || rev) return `carries port ${m.kernel} for flow ${m.flow}, but our conntrack table maps that flow to ${m.ours}: ours is inconsistent`;
  }
  return null;
}

function l4Fields(fields: Field[], prefix: string): Field[] {
  return fields.filter((f) => f.name === `${prefix}tcp.checksum` || f.name === `${prefix}udp.checksum` || f.name === `${prefix}icmp.checksum`);
}

/** Rewrite our random NAT ports into the kernel's, in the outer header and in a quoted ICMP-error header. */
function mapPorts(ip: Uint8Array, at: number, map: readonly NatPortMapping[]): boolean {
  if (map.length === 0 || ip.length < at + 20) return false;
  const ihl = (ip[at]! & 15) * 4;
  const proto = ip[at + 9]!;
  const l4 = at + ihl;
  if (be16(ip, at + 6) & 0x1fff || ip.length < l4 + 8) return false;
  const src = ipv4Str(be32(ip, at + 12));
  const dst = ipv4Str(be32(ip, at + 16));
  let changed = false;
  for (const m of map) {
    if (m.proto !== proto) continue;
    if (proto === 1) {
      const t = ip[l4]!;
      if (((t === 8 && src === m.addr && dst === m.peer) || (t === 0 && dst === m.addr && src === m.peer)) && be16(ip, l4 + 4) === m.ours) {
        putBe16(ip, l4 + 4, m.kernel);
        changed = true;
      }
      continue;
    }
    if (src === m.addr && be16(ip, l4) === m.ours && dst === m.peer && be16(ip, l4 + 2) === m.peerPort) {
      putBe16(ip, l4, m.kernel);
      changed = true;
    } else if (dst === m.addr && be16(ip, l4 + 2) === m.ours && src === m.peer && be16(ip, l4) === m.peerPort) {
      putBe16(ip, l4 + 2, m.kernel);
      changed = true;
    }
  }
  if (proto === 1 && ICMP_ERROR_TYPES.has(ip[l4]!) && mapPorts(ip, l4 + 8, map)) changed = true;
  return changed;
}

function normalize(kernel: Uint8Array, ours: Uint8Array, ctx: PacketContext): Normalized {
  const bytes = ours.slice();
  const fields = fieldsOf(bytes);
  const masked: Field[] = [];
  const conflict = portConflict(ours, ctx.portMap);
  if (mapPorts(bytes, 0, ctx.portMap)) masked.push(...l4Fields(fields, ''), ...l4Fields(fields, 'icmp.inner.'));
  if (isHostIcmp(kernel, ctx.localAddrs, ctx.receivedIcmp)) masked.push(...fields.filter((f) => f.name === 'ip.id' || f.name === 'ip.checksum'));
  return { bytes, masked, verify: masked.length > 0, conflict };
}

/** Does the capture hold fewer bytes of this IPv4 packet than its total length? */
export function isCut(ip: Uint8Array): boolean {
  return ip.length >= 4 && ip.length < ((ip[2]! << 8) | ip[3]!);
}

/** Fields where `n.bytes` differs from `kernel` outside the masks (lengths differing count as ip.len + bytes). */
function differingFields(kernel: Uint8Array, n: Normalized): Field[] {
  const out: Field[] = [];
  const fields = fieldsOf(kernel);
  const isMasked = (o: number): boolean => n.masked.some((f) => o >= f.start && o < f.start + f.len);
  // a capture cut short by its snaplen holds no more bytes: compare what both hold (ip.len still compares
  // the lengths)
  const end = isCut(kernel) || isCut(n.bytes) ? Math.min(kernel.length, n.bytes.length) : Math.max(kernel.length, n.bytes.length);
  for (let o = 0; o < end; o++) {
    if (o < kernel.length && o < n.bytes.length && (kernel[o] === n.bytes[o] || isMasked(o))) continue;
    const f = fieldAt(fields, o);
    if (out.length === 0 || out[out.length - 1]!.name !== f.name) out.push(f);
    o = Math.max(o, f.start + f.len - 1);
    if (out.length >= 6) break;
  }
  return out;
}

function same(k: TxPacket | undefined, o: TxPacket | undefined, ctx: PacketContext): boolean {
  return !!k && !!o && differingFields(k.ip, normalize(k.ip, o.ip, ctx)).length === 0;
}

const LOOKAHEAD = 8;

/** Compare one interface's packet sequences; returns the first disagreement (if any). */
export function compareInterface(iface: string, kernel: readonly TxPacket[], ours: readonly TxPacket[], ctx: PacketContext): AgreementFailure | null {
  const n = Math.max(kernel.length, ours.length);
  for (let i = 0; i < n; i++) {
    const k = kernel[i];
    const o = ours[i];
    const where = `${iface} TX packet #${i}`;
    const when = (p: TxPacket | undefined, who: string): string => (p ? `${who} ${relTime(p.tsNs, ctx.baseNs)} (${p.origin})` : '');
    if (!k) return { check: 'tx', where, message: `ours sent ${ours.length - kernel.length} more packet(s) than the kernel's ${kernel.length}; first extra: ${summarize(o!.ip)} ${when(o, 'ours')}` };
    if (!o) return { check: 'tx', where, message: `ours stops after ${ours.length} packet(s); the kernel sent ${kernel.length}, next: ${summarize(k.ip)} ${when(k, 'kernel')}`, tsNs: k.tsNs };
    const norm = normalize(k.ip, o.ip, ctx);
    if (norm.conflict) return { check: 'nat-port', where, message: `${summarize(o.ip)} ${norm.conflict} ${when(o, 'ours')}`, tsNs: k.tsNs };
    const diff = differingFields(k.ip, norm);
    if (diff.length === 0) {
      if (norm.verify) {
        const bad = badChecksums(o.ip);
        if (bad.length) return { check: 'tx', where, message: `${bad.join(', ')} of ours does not verify (the field is masked in the comparison, so it must be right on its own): ${summarize(o.ip)} ${when(o, 'ours')}`, tsNs: k.tsNs };
      }
      continue;
    }
    if (same(kernel[i + 1], o, ctx) && same(k, ours[i + 1], ctx))
      return { check: 'tx', where, message: `packets #${i} and #${i + 1} are in the opposite order: kernel sent ${summarize(k.ip)} first, ours sent ${summarize(o.ip)} first; ${when(k, 'kernel')}, ${when(o, 'ours')}`, tsNs: k.tsNs };
    for (let j = 1; j <= LOOKAHEAD; j++) {
      if (same(kernel[i + j], o, ctx))
        return { check: 'tx', where, message: `ours lacks kernel packet #${i}${j > 1 ? `..#${i + j - 1}` : ''}: ${summarize(k.ip)} ${when(k, 'kernel')}`, tsNs: k.tsNs };
      if (same(k, ours[i + j], ctx))
        return { check: 'tx', where, message: `ours has ${j} extra packet(s) before kernel packet #${i}: ${summarize(o.ip)} ${when(o, 'ours')}`, tsNs: k.tsNs };
    }
    const first = diff[0]!;
    const more = diff.slice(1).map((f) => `${f.name} (kernel ${fieldValue(k.ip, f)}, ours ${fieldValue(norm.bytes, f)})`);
    return {
      check: 'tx',
      where,
      message:
        `byte ${first.start} ${first.name}: kernel ${fieldValue(k.ip, first)}, ours ${fieldValue(norm.bytes, first)}` +
        (more.length ? `; also ${more.join('; ')}` : '') +
        `; kernel ${summarize(k.ip)} ${when(k, 'kernel')}; ours ${when(o, 'ours')}`,
      tsNs: k.tsNs,
    };
  }
  return null;
}

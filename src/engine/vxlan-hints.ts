// What a VXLAN device chose that no snapshot holds, learned from the host's encapsulated transmissions in the
// capture: the outer UDP source port (udp_flow_src_port over the inner flow's hash, whose key is random per
// boot), the outer IP ID (ip_idents, advanced by random amounts as jiffies pass), and the remote VTEP of each
// inner destination MAC when the snapshot has no `bridge fdb` (the host sent that MAC's frames there).
// Encapsulations are found again by their inner packet, which the outer one carries unchanged.

import { be16, be32 } from '../util/bytes.js';
import { hash4 } from '../util/hash.js';
import { macKey } from '../util/ipv4.js';

/** VXLAN header (RFC 7348): flags (I bit 0x08 in the first byte), 24-bit VNI, reserved byte. */
export const VXLAN_HLEN = 8;
const ETH_HLEN = 14;
const ETH_P_IP = 0x0800;

interface Outer {
  sport: number;
  ipId: number;
}

/**
 * The identity of an encapsulated frame (`off` is its Ethernet header): for IPv4, the inner IP ID,
 * addresses, protocol, total length and the first 8 transport bytes (ports and sequence, or the ICMP header)
 * — all that forwarding leaves alone; for other frames (ARP ...), their first 44 bytes; -1 when too short.
 */
export function innerKey(b: Uint8Array, off: number, end: number): number {
  if (end - off >= ETH_HLEN && be16(b, off + 12) !== ETH_P_IP) return frameKey(b, off, Math.min(end, off + 44));
  if (end - off < ETH_HLEN + 20) return -1;
  const ip = off + ETH_HLEN;
  const ihl = (b[ip]! & 15) * 4;
  const l4 = ip + ihl;
  const w0 = l4 + 8 <= end ? be32(b, l4) : 0;
  const w1 = l4 + 8 <= end ? be32(b, l4 + 4) : 0;
  return hash4(hash4(0x76786c6e, be32(b, ip + 12), be32(b, ip + 16), be32(b, ip + 4) & 0xffff00ff, be16(b, ip + 2)), w0, w1, b[ip + 9]!, ihl);
}

function frameKey(b: Uint8Array, off: number, end: number): number {
  let h = 0x61727066;
  for (let i = off; i + 4 <= end; i += 4) h = hash4(h, be32(b, i), i - off, 0, 0);
  return h;
}

/**
 * The inner flow, direction-independent (the flow dissector's hash is symmetric, so both directions of a
 * forwarded flow leave with one source port): ordered addresses and ports with the protocol; -1 if not IPv4.
 */
export function innerFlowKey(b: Uint8Array, off: number, end: number): number {
  if (end - off < ETH_HLEN + 20 || be16(b, off + 12) !== ETH_P_IP) return -1;
  const ip = off + ETH_HLEN;
  const ihl = (b[ip]! & 15) * 4;
  const proto = b[ip + 9]!;
  const s = be32(b, ip + 12);
  const d = be32(b, ip + 16);
  const ports = (proto === 6 || proto === 17) && ip + ihl + 4 <= end ? be32(b, ip + ihl) : 0;
  const sp = ports >>> 16;
  const dp = ports & 0xffff;
  return s < d || (s === d && sp <= dp) ? hash4(proto, s, d, sp, dp) : hash4(proto, d, s, dp, sp);
}

export class VxlanHints {
  /** Per encapsulated packet (innerKey): the outer choices, in capture order. */
  private readonly byPacket = new Map<number, Outer[]>();
  /** Per inner flow (innerFlowKey): the source port its packets left with. */
  private readonly byFlow = new Map<number, number>();
  /** Remote VTEP by VNI, then inner destination MAC, as the host sent to it. */
  private readonly remotes = new Map<number, Map<number, number>>();
  size = 0;

  constructor(private readonly max: number) {}

  /**
   * An outer VXLAN packet the host sent: `b[l4]` is its UDP header, `end` the end of the captured data.
   */
  noteSent(b: Uint8Array, l4: number, end: number, ipId: number, daddr: number): void {
    const vx = l4 + 8;
    const inner = vx + VXLAN_HLEN;
    if (inner + ETH_HLEN > end || (b[vx]! & 0x08) === 0) return;
    const vni = be32(b, vx + 4) >>> 8;
    const sport = be16(b, l4);
    let byMac = this.remotes.get(vni);
    if (byMac === undefined) this.remotes.set(vni, (byMac = new Map()));
    byMac.set(macKey(be16(b, inner), be32(b, inner + 2)), daddr);
    const k = innerKey(b, inner, end);
    if (k < 0 || this.size >= this.max) return;
    const list = this.byPacket.get(k);
    if (list === undefined) this.byPacket.set(k, [{ sport, ipId }]);
    else list.push({ sport, ipId });
    this.size++;
    const f = innerFlowKey(b, inner, end);
    if (f >= 0) this.byFlow.set(f, sport);
  }

  /** The outer choices of the encapsulation of the inner frame at `off`, once; null when not seen. */
  take(b: Uint8Array, off: number, end: number): Outer | null {
    const k = innerKey(b, off, end);
    const list = k < 0 ? undefined : this.byPacket.get(k);
    if (list === undefined || list.length === 0) return null;
    return list.shift()!;
  }

  /** The source port the inner flow of the frame at `off` was seen leaving with, or -1. */
  flowSport(b: Uint8Array, off: number, end: number): number {
    const f = innerFlowKey(b, off, end);
    return f < 0 ? -1 : (this.byFlow.get(f) ?? -1);
  }

  /** The remote VTEP the host sent frames for `mac` in `vni` to, or 0. */
  remote(vni: number, macHi: number, macLo: number): number {
    return this.remotes.get(vni)?.get(macKey(macHi, macLo)) ?? 0;
  }
}

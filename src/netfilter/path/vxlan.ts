// VXLAN devices (drivers/net/vxlan): vxlan_xmit encapsulates a frame sent on the device in UDP to the remote
// VTEP its FDB names for the destination MAC, and sends it as a packet of the host's own (udp_tunnel_xmit_skb
// → ip_local_out: OUTPUT, conntrack, POSTROUTING); vxlan_rcv takes a UDP datagram delivered to the device's
// port, strips the headers and receives the inner frame on the device (a fresh skb for conntrack, mark kept
// within the namespace). What the kernel draws at random — the outer source port (the inner flow's hash) and
// IP ID — comes from the capture when the host's own encapsulations are in it (VxlanHints), else from seeded
// stand-ins.

import { IpProto, L3 } from '../../decode/meta.js';
import { decodeFrame, decodeIpv4Packet, Verify } from '../../decode/decode.js';
import { Csum } from '../../decode/meta.js';
import { LinkType } from '../../capture/types.js';
import type { HostIface } from '../../host/types.js';
import { innerFlowKey, VXLAN_HLEN } from '../../engine/vxlan-hints.js';
import { be16, be32, putBe16, putBe32 } from '../../util/bytes.js';
import { formatMac, macKey } from '../../util/ipv4.js';
import { csumFold, csumPartial, ipv4HeaderChecksum } from '../../wire/checksum.js';
import { writeIpv4Header } from './build.js';
import type { Datapath } from './datapath.js';
import { ipLocalOut } from './ip-output.js';
import { HEADROOM, PktType } from './pkt.js';
import type { Pkt } from './pkt.js';
import { outputKey, routeOutput } from './route.js';
import { netifReceive } from './receive.js';

const ETH_HLEN = 14;
const OUTER_HLEN = 20 + 8 + VXLAN_HLEN;
const IP_DF = 0x4000;
const ECN_MASK = 3;
const ECN_CE = 3;
const ECN_ECT0 = 2;
/** VXLAN_HF_VNI: the I flag, the only flag plain VXLAN allows. */
const VXLAN_FLAGS_WORD = 0x08000000;

/**
 * vxlan_xmit for the frame `p` transmitted on VXLAN device `dev` (its Ethernet header written at l3Off - 14:
 * an IPv4 packet routed or bridged out, or another frame a bridge forwards to it). Takes ownership of `p`.
 */
export function vxlanXmit(dp: Datapath, p: Pkt, dev: number): void {
  const iface = dp.host.iface(dev);
  const cfg = iface.vxlan!;
  const m = p.meta;
  const ipv4 = m.l3 === L3.IPV4 && m.ipHdrLen > 0;
  const inner = m.l3Off - ETH_HLEN;
  // the frame as the capture holds it, and its length on the wire (an IPv4 packet without link padding)
  const innerEnd = ipv4 ? m.l3Off + Math.min(m.frameOff + m.caplen - m.l3Off, m.ipTotalLen) : m.frameOff + m.caplen;
  const innerLen = ipv4 ? ETH_HLEN + m.ipTotalLen : ETH_HLEN + m.wirelen - (m.l3Off - m.frameOff);
  const have = innerEnd - inner;
  const hints = dp.vxlanHints;
  // vxlan_find_mac: the destination MAC (from the snapshot's FDB, else as the capture shows the host sending
  // to it), else the all-zeros default entry, else the device's default remote
  let remote = cfg.fdb.get(macKey(p.dstMacHi, p.dstMacLo)) ?? hints?.remote(cfg.vni, p.dstMacHi, p.dstMacLo) ?? 0;
  if (remote === 0) remote = cfg.fdb.get(0) ?? cfg.remote;
  if (remote === 0) {
    dp.kernelDrop(p, 'vxlan_no_remote', `${iface.name}: no FDB entry for ${formatMac(p.dstMacHi, p.dstMacLo)} (VNI ${cfg.vni})`, -1);
    return dp.dropPacket(p, 'vxlan_no_remote', '');
  }
  // sent when the inner frame is: at the end of its processing
  const q = dp.pool.derived(p, p.finishNs, p.finishNs);
  q.generated = 1;
  // skb_scrub_packet within one namespace: the mark and socket stay, the conntrack reference goes
  q.mark = p.mark;
  q.sock = p.sock;
  // udp_tunnel_dst_lookup: UDP to the VTEP port from the configured local address, with the inner packet's mark
  const k = outputKey(q, remote);
  k.saddr = cfg.local;
  k.proto = IpProto.UDP;
  k.dport = cfg.port;
  const routeSrc = routeOutput(dp, q, remote, k);
  if (routeSrc < 0 || q.rtDev === dev) {
    dp.pool.put(q);
    dp.kernelDrop(p, 'vxlan_route', routeSrc < 0 ? `${iface.name}: no route to the remote VTEP` : `${iface.name}: the route to the remote VTEP leads back into the device`, -1);
    return dp.dropPacket(p, 'vxlan_route', '');
  }
  const saddr = cfg.local !== 0 ? cfg.local : routeSrc;
  const innerTos = ipv4 ? m.ipTos : 0;
  // ip_tunnel_ecn_encap: the configured TOS (or the inner one) with the inner ECN bits, CE sent as ECT(0)
  let tos = cfg.tos === 1 ? innerTos : cfg.tos;
  tos = (tos & ~ECN_MASK) | ((innerTos & ECN_MASK) === ECN_CE ? ECN_ECT0 : innerTos & ECN_MASK);
  const df = cfg.df === 'set' || (cfg.df === 'inherit' && ipv4 && m.dontFrag === 1) ? IP_DF : 0;
  const ttl = cfg.ttl !== 0 ? cfg.ttl : (remote >>> 28) === 14 ? 1 : dp.host.sysctls.ipDefaultTtl;
  const seen = hints?.take(p.buf, inner, innerEnd) ?? null;
  const sport = seen?.sport ?? flowSourcePort(dp, cfg.portLow, cfg.portHigh, p.buf, inner, innerEnd);
  // ip_select_ident: no ID for DF packets sent without a connected socket
  const id = df !== 0 ? 0 : (seen?.ipId ?? nextIdent(dp, saddr, remote));
  const b = q.buf;
  const o = HEADROOM;
  const udp = o + 20;
  const vx = udp + 8;
  b.set(p.buf.subarray(inner, innerEnd), vx + VXLAN_HLEN);
  writeIpv4Header(b, o, tos, OUTER_HLEN + innerLen, id, df, ttl, IpProto.UDP, saddr, remote);
  putBe16(b, udp, sport);
  putBe16(b, udp + 2, cfg.port);
  putBe16(b, udp + 4, 8 + VXLAN_HLEN + innerLen);
  putBe16(b, udp + 6, 0);
  putBe32(b, vx, VXLAN_FLAGS_WORD);
  putBe32(b, vx + 4, (cfg.vni << 8) >>> 0);
  if (cfg.udpCsum) {
    const len = 8 + VXLAN_HLEN + innerLen;
    const pseudo = (saddr >>> 16) + (saddr & 0xffff) + (remote >>> 16) + (remote & 0xffff) + IpProto.UDP + len;
    const c = csumFold(csumPartial(b, udp, 8 + VXLAN_HLEN + have, pseudo));
    putBe16(b, udp + 6, c === 0 ? 0xffff : c);
  }
  q.bindView();
  decodeIpv4Packet(q.meta, b, o, OUTER_HLEN + have, dp.counters, Verify.NONE);
  q.meta.ipTotalLen = OUTER_HLEN + innerLen;
  dp.releaseCtRef(p);
  dp.pool.put(p);
  ipLocalOut(dp, q);
}

/**
 * udp_flow_src_port when the capture does not show the port: a seeded hash of the inner flow (symmetric,
 * as the flow dissector's) scaled into the range, the host's ip_local_port_range when none is configured.
 */
function flowSourcePort(dp: Datapath, low: number, high: number, b: Uint8Array, off: number, end: number): number {
  let min = low;
  let max = high;
  if (min >= max) {
    min = dp.host.sysctls.ipLocalPortMin;
    max = dp.host.sysctls.ipLocalPortMax;
  }
  const flow = dp.vxlanHints?.flowSport(b, off, end) ?? -1;
  if (flow >= 0) return flow;
  let h = (innerFlowKey(b, off, end) ^ dp.vxlanSeed) >>> 0;
  h = (h ^ (h << 16)) >>> 0;
  return Math.floor((h * (max - min)) / 4294967296) + min;
}

/** The outer IP ID when the capture does not show it: per (source, destination), from a seeded start (ip_idents stand-in). */
function nextIdent(dp: Datapath, saddr: number, daddr: number): number {
  const k = saddr * 4294967296 + daddr;
  const v = dp.vxlanIdents.get(k) ?? dp.prng.u16();
  dp.vxlanIdents.set(k, (v + 1) & 0xffff);
  return v;
}

/** The VXLAN devices listening on each UDP port. */
export function vxlanPorts(ifaces: readonly HostIface[]): Map<number, HostIface[]> {
  const out = new Map<number, HostIface[]>();
  for (const i of ifaces) {
    if (i.vxlan === undefined) continue;
    const l = out.get(i.vxlan.port);
    if (l === undefined) out.set(i.vxlan.port, [i]);
    else l.push(i);
  }
  return out;
}

/**
 * A UDP datagram `p` delivered locally: when a VXLAN device listens on its port, vxlan_rcv takes it (true;
 * `p` stays the caller's) and the inner frame is received on the device; false otherwise.
 */
export function vxlanRcv(dp: Datapath, p: Pkt): boolean {
  const m = p.meta;
  const devs = dp.vxlanByPort.get(m.dport);
  if (devs === undefined) return false;
  const vx = m.l4Off + 8;
  const end = Math.min(m.l3Off + m.ipTotalLen, m.frameOff + m.caplen);
  // udp_queue_rcv_one_skb verifies the checksum before handing the datagram to the tunnel
  if ((m.csum & Csum.L4_BAD) !== 0) return drop(dp, p, 'vxlan_csum', 'bad outer UDP checksum');
  if (end - vx < VXLAN_HLEN + ETH_HLEN) return drop(dp, p, 'vxlan_short', 'shorter than the VXLAN and inner Ethernet headers');
  const flags = be32(p.buf, vx);
  const vniWord = be32(p.buf, vx + 4);
  // the I flag is required; any other flag or reserved bit makes the packet malformed
  if (flags !== VXLAN_FLAGS_WORD || (vniWord & 0xff) !== 0) return drop(dp, p, 'vxlan_flags', `unexpected VXLAN flags 0x${flags.toString(16)}`);
  const vni = vniWord >>> 8;
  const iface = devs.find((d) => d.vxlan!.vni === vni);
  if (iface === undefined) return drop(dp, p, 'vxlan_vni', `no VXLAN device for VNI ${vni} on port ${m.dport}`);
  const inner = vx + VXLAN_HLEN;
  const srcHi = be16(p.buf, inner + 6);
  const srcLo = be32(p.buf, inner + 8);
  // vxlan_set_mac: its own frames coming back are a loop
  if (srcHi === iface.macHi && srcLo === iface.macLo) return drop(dp, p, 'vxlan_loop', 'inner source MAC is the device\'s own');
  if (iface.vxlan!.learning && (srcHi & 0x0100) === 0) iface.vxlan!.fdb.set(macKey(srcHi, srcLo), m.saddr);
  const q = dp.pool.derived(p, p.finishNs, p.finishNs);
  q.mark = p.mark;
  const len = end - inner;
  q.buf.set(p.buf.subarray(inner, end), HEADROOM);
  q.bindView();
  const wire = ETH_HLEN + (be16(p.buf, inner + 12) === 0x0800 && len >= ETH_HLEN + 4 ? be16(p.buf, inner + 16) : len - ETH_HLEN);
  decodeFrame(q.meta, q.buf, HEADROOM, len, Math.max(wire, len), LinkType.ETHERNET, dp.counters, Verify.ALL);
  if (!ecnDecapsulate(q, m.ipTos)) {
    dp.pool.put(q);
    return drop(dp, p, 'vxlan_ecn', 'outer CE on an inner packet that is not ECN-capable');
  }
  const qm = q.meta;
  q.srcMacHi = qm.srcMacHi;
  q.srcMacLo = qm.srcMacLo;
  q.dstMacHi = qm.dstMacHi;
  q.dstMacLo = qm.dstMacLo;
  // eth_type_trans on the VXLAN device
  if (q.dstMacHi === 0xffff && q.dstMacLo === 0xffffffff) q.pktType = PktType.BROADCAST;
  else if ((q.dstMacHi & 0x0100) !== 0) q.pktType = PktType.MULTICAST;
  else if (q.dstMacHi === iface.macHi && q.dstMacLo === iface.macLo) q.pktType = PktType.HOST;
  else q.pktType = PktType.OTHERHOST;
  netifReceive(dp, q, iface.id);
  return true;
}

/** INET_ECN_decapsulate: outer CE marks an ECN-capable inner packet CE, and drops one that is not. */
function ecnDecapsulate(q: Pkt, outerTos: number): boolean {
  const m = q.meta;
  if ((outerTos & ECN_MASK) !== ECN_CE || m.l3Off < 0 || m.ipHdrLen === 0) return true;
  if ((m.ipTos & ECN_MASK) === 0) return false;
  if ((m.ipTos & ECN_MASK) !== ECN_CE) {
    m.ipTos |= ECN_CE;
    q.buf[m.l3Off + 1] = m.ipTos;
    putBe16(q.buf, m.l3Off + 10, 0);
    putBe16(q.buf, m.l3Off + 10, ipv4HeaderChecksum(q.buf, m.l3Off, m.ipHdrLen));
  }
  return true;
}

/** vxlan_rcv dropped the datagram: report it; the caller still owns `p`. */
function drop(dp: Datapath, p: Pkt, code: string, detail: string): true {
  dp.kernelDrop(p, code, `VXLAN: ${detail}`, -1);
  dp.sink.drop(p, dp.stats.takeDrop(code, '', p.hook), p.finishNs);
  return true;
}

// Linux bridges with br_netfilter (net/bridge/br_input.c, br_forward.c, br_device.c and
// br_netfilter_hooks.c): FDB learning, IPv4 frames through PRE_ROUTING with -i = the bridge and physdev =
// the port, the DNAT re-route (bridged DNAT with its neighbour fast/slow path, or handed up to be routed),
// forwarding with FORWARD and POST_ROUTING hooks (no TTL change), flooding, hairpin, passing frames up to
// the host, and the bridge device's own transmit (br_dev_xmit) for routed packets.

import { putBe16, putBe32 } from '../../util/bytes.js';
import { L3 } from '../../decode/meta.js';
import { NONE, Verdict } from '../skb.js';
import type { Datapath } from './datapath.js';
import type { Pkt } from './pkt.js';
import { PktType, RtKind } from './pkt.js';
import { FDB_LOCAL, FDB_UNKNOWN } from './fdb.js';
import { NeighVerdict } from './neigh.js';
import { Defrag } from './defrag.js';
import { defragment, ipHeaderProblem, ipRcv, ipRcvFinish } from './ip-input.js';
import { devXmit, txFrame, verdictEnd } from './ip-output.js';
import { vxlanXmit } from './vxlan.js';
import { ipDoFragment } from './fragment.js';
import type { FragmentSink } from './fragment.js';
import { routeInput, RouteError } from './route.js';
import { arpRcv } from './arp.js';

function isBroadcast(hi: number, lo: number): boolean {
  return hi === 0xffff && lo === 0xffffffff;
}
function isMulticast(hi: number): boolean {
  return (hi & 0x0100) !== 0;
}

/** br_handle_frame: a frame enters bridge port `port`. Takes ownership of `p`. */
export function brHandleFrame(dp: Datapath, p: Pkt, port: number): void {
  const portIf = dp.host.iface(port);
  const br = portIf.master;
  const bridge = dp.host.iface(br);
  const now = p.nowNs;
  if (portIf.learning) dp.fdb[br]!.learn(p.srcMacHi, p.srcMacLo, port, now);
  if (!portIf.portForwarding) {
    dp.kernelDrop(p, 'bridge_port', `bridge port ${portIf.name} is not forwarding`, -1);
    return dp.dropPacket(p, 'bridge_port', '');
  }
  p.physIn = port;
  if (p.dstMacHi === bridge.macHi && p.dstMacLo === bridge.macLo) p.pktType = PktType.HOST;
  const m = p.meta;
  if (m.l3 === L3.IPV4 && m.vlanCount === 0 && dp.host.bridgeCallsIptables(br)) return brNfPreRouting(dp, p, port, br);
  p.dev = port;
  brHandleFrameFinish(dp, p, br);
}

/** br_nf_pre_routing: IPv4 PRE_ROUTING with in = the bridge, the port as physdev. */
function brNfPreRouting(dp: Datapath, p: Pkt, port: number, br: number): void {
  const otherhost = p.pktType === PktType.OTHERHOST;
  if (otherhost) p.pktType = PktType.HOST;
  p.nfBridge = 1;
  p.bridged = 1;
  p.dev = br;
  p.iif = br;
  const bad = ipHeaderProblem(p);
  if (bad !== null) {
    dp.kernelDrop(p, 'ip_header', bad, -1);
    return dp.dropPacket(p, 'ip_header', bad);
  }
  if (dp.conntrackActive && Defrag.isFragment(p) && !defragment(dp, p, 0)) return;
  p.brOrigDaddr = p.meta.daddr;
  const v = dp.preRouting(p, br);
  if (v !== Verdict.ACCEPT) return verdictEnd(dp, p, v);
  if (otherhost) p.pktType = PktType.OTHERHOST;
  brNfPreRoutingFinish(dp, p, port, br);
}

/** br_nf_pre_routing_finish: route again when DNAT changed the destination. */
function brNfPreRoutingFinish(dp: Datapath, p: Pkt, port: number, br: number): void {
  const bridge = dp.host.iface(br);
  if (p.meta.daddr !== p.brOrigDaddr) {
    const err = routeInput(dp, p, br);
    if (err !== RouteError.OK) {
      dp.kernelDrop(p, 'no_route', 'no route for the DNAT destination of a bridged packet', -1);
      return dp.dropPacket(p, 'no_route', '');
    }
    if (p.rtKind === RtKind.FORWARD && p.rtDev === br) return brNfFinishBridge(dp, p, port, br);
    // routed (or local) now: addressed to the bridge itself, handed up after the bridge's own decision
    p.dstMacHi = bridge.macHi;
    p.dstMacLo = bridge.macLo;
    p.pktType = PktType.HOST;
  } else {
    p.rtKind = RtKind.FAKE;
    p.rtDev = br;
    p.rtMtu = bridge.mtu;
    p.rtNexthop = p.meta.daddr;
  }
  p.dev = port;
  brHandleFrameFinish(dp, p, br);
}

/**
 * br_nf_pre_routing_finish_bridge: the DNAT destination is on the same bridge. With a connected neighbour
 * and a cached header only the destination MAC changes (fast path); otherwise the frame goes out through the
 * bridge device via the neighbour layer and br_dev_xmit puts the original source MAC back (slow path).
 */
function brNfFinishBridge(dp: Datapath, p: Pkt, port: number, br: number): void {
  const e = dp.neigh.entry(br, p.rtNexthop);
  if (dp.neigh.connected(e, p.finishNs) && e.hh !== 0) {
    p.dstMacHi = e.macHi;
    p.dstMacLo = e.macLo;
    p.dev = port;
    return brHandleFrameFinish(dp, p, br);
  }
  p.bridgedDnat = 1;
  const v = dp.neigh.output(e, p.finishNs);
  if (v === NeighVerdict.QUEUED) {
    dp.neigh.queue(e, p, (old) => dp.dropPacket(old, 'neigh_queue', 'neighbour queue overflow'));
    return;
  }
  bridgedDnatSend(dp, p, br, e.macHi, e.macLo);
}

/** The slow path's transmit on the bridge device (src = bridge MAC on its tap), then br_dev_xmit. */
export function bridgedDnatSend(dp: Datapath, p: Pkt, br: number, dstHi: number, dstLo: number): void {
  const bridge = dp.host.iface(br);
  // neigh_header keeps the original source MAC for br_nf_pre_routing_finish_bridge_slow
  p.brSavedSrcHi = p.srcMacHi;
  p.brSavedSrcLo = p.srcMacLo;
  p.srcMacHi = bridge.macHi;
  p.srcMacLo = bridge.macLo;
  p.dstMacHi = dstHi;
  p.dstMacLo = dstLo;
  devXmit(dp, p, br);
}

/** br_handle_frame_finish: deliver to the host, forward to a port, or flood. Takes ownership of `p`. */
export function brHandleFrameFinish(dp: Datapath, p: Pkt, br: number): void {
  const fdb = dp.fdb[br]!;
  const now = p.nowNs;
  if (isBroadcast(p.dstMacHi, p.dstMacLo) || isMulticast(p.dstMacHi)) {
    brFlood(dp, p, br, false);
    return brPassFrameUp(dp, p, br);
  }
  const dst = fdb.lookup(p.dstMacHi, p.dstMacLo, now);
  if (dst === FDB_LOCAL) return brPassFrameUp(dp, p, br);
  if (dst === FDB_UNKNOWN) {
    brFlood(dp, p, br, false);
    dp.pool.put(p);
    return;
  }
  if (!shouldDeliver(dp, p, dst, false)) {
    dp.kernelDrop(p, 'bridge_hairpin', 'destination is behind the input port and hairpin mode is off', -1);
    return dp.dropPacket(p, 'bridge_hairpin', '');
  }
  brForward(dp, p, br, dst, false);
}

/** should_deliver: a port gets the frame when it forwards and is not the input port (unless hairpin). */
function shouldDeliver(dp: Datapath, p: Pkt, port: number, localOrig: boolean): boolean {
  const pi = dp.host.iface(port);
  if (!pi.portForwarding) return false;
  return localOrig || pi.hairpin || p.physIn !== port;
}

/** br_flood: a copy to every port that should get it. `p` itself is not consumed. */
function brFlood(dp: Datapath, p: Pkt, br: number, localOrig: boolean): void {
  for (const port of dp.host.iface(br).ports) {
    if (!shouldDeliver(dp, p, port, localOrig)) continue;
    const q = dp.pool.get();
    q.copyFrom(p);
    brForward(dp, q, br, port, localOrig);
  }
}

/** br_pass_frame_up: the frame goes up the bridge device to the host stack. */
function brPassFrameUp(dp: Datapath, p: Pkt, br: number): void {
  p.dev = br;
  p.iif = br;
  const m = p.meta;
  if (m.l3 === L3.IPV4) {
    if (p.pktType === PktType.OTHERHOST) p.pktType = PktType.HOST;
    if (p.nfBridge === 1) return ipRcvFinishAfterBridge(dp, p, br);
    return ipRcv(dp, p, br);
  }
  if (m.l3 === L3.ARP) return arpRcv(dp, p, br);
  dp.stats.nonIp++;
  dp.pool.put(p);
}

/** ip_rcv on the bridge for a frame br_netfilter already ran PRE_ROUTING for (ip_sabotage_in). */
function ipRcvFinishAfterBridge(dp: Datapath, p: Pkt, br: number): void {
  p.bridged = 0;
  ipRcvFinish(dp, p, br);
}

/**
 * __br_forward to `port`. IPv4 frames that went through br_nf_pre_routing pass FORWARD and POST_ROUTING
 * (in = out = the bridge) on the way, and are re-fragmented to the original fragment size when needed.
 */
function brForward(dp: Datapath, p: Pkt, br: number, port: number, localOrig: boolean): void {
  if (p.nfBridge === 1 && !localOrig && p.meta.l3 === L3.IPV4) {
    p.physOut = port;
    const otherhost = p.pktType === PktType.OTHERHOST;
    if (otherhost) p.pktType = PktType.HOST;
    let v = dp.forward(p, br, br);
    if (v !== Verdict.ACCEPT) return verdictEnd(dp, p, v);
    if (otherhost) p.pktType = PktType.OTHERHOST;
    v = dp.postRouting(p, NONE, br);
    if (v !== Verdict.ACCEPT) return verdictEnd(dp, p, v);
    dp.stats.bridged++;
    return brNfDevQueueXmit(dp, p, port);
  }
  transmitOnPort(dp, p, port);
}

/** Fragment sink of bridged re-fragmentation. */
class PortFragSink implements FragmentSink {
  port = NONE;
  constructor(private readonly dp: Datapath) {}
  emitFragment(frag: Pkt): void {
    txFrame(this.dp, frag, this.port);
  }
}
const portSinks = new WeakMap<Datapath, PortFragSink>();

/** br_nf_dev_queue_xmit: a reassembled datagram larger than the port MTU goes out as fragments again. */
function brNfDevQueueXmit(dp: Datapath, p: Pkt, port: number): void {
  const mtu = dp.host.iface(port).mtu;
  if (p.meta.ipTotalLen <= mtu || p.gso === 1) return transmitOnPort(dp, p, port);
  let sink = portSinks.get(dp);
  if (sink === undefined) {
    sink = new PortFragSink(dp);
    portSinks.set(dp, sink);
  }
  sink.port = port;
  const scratch = dp.pool.get();
  ipDoFragment(p, mtu, scratch, sink);
  dp.pool.put(scratch);
  dp.releaseCtRef(p);
  dp.pool.put(p);
}

function transmitOnPort(dp: Datapath, p: Pkt, port: number): void {
  if (p.meta.l3 === L3.IPV4) txFrame(dp, p, port);
  else txL2(dp, p, port);
  // a VXLAN port (an overlay bridged to local containers) encapsulates what the bridge hands it
  if (dp.host.iface(port).kind === 'vxlan') return vxlanXmit(dp, p, port);
  dp.releaseCtRef(p);
  dp.pool.put(p);
}

/** Transmit a non-IPv4 frame (ARP, IPv6 ...) as it is: Ethernet header rebuilt before the L3 header. */
function txL2(dp: Datapath, p: Pkt, dev: number): void {
  const m = p.meta;
  if (m.l3Off < 14) return;
  const b = p.buf;
  const off = m.l3Off - 14;
  putBe16(b, off, p.dstMacHi);
  putBe32(b, off + 2, p.dstMacLo);
  putBe16(b, off + 6, p.srcMacHi);
  putBe32(b, off + 8, p.srcMacLo);
  putBe16(b, off + 12, m.etherType);
  const len = m.caplen - (m.l3Off - m.frameOff);
  dp.sink.tx(dev, b, off, 14 + len, 14 + len + (m.wirelen - m.caplen), p.finishNs, p);
}

/**
 * br_dev_xmit: the host sent `p` out of bridge device `br` (its tap already saw it). The bridged-DNAT slow
 * path resumes bridging with the original source MAC; routed packets go to the port the destination MAC was
 * learned on, or to every port. Takes ownership of `p`.
 */
export function brDevXmit(dp: Datapath, p: Pkt, br: number): void {
  if (p.bridgedDnat === 1) {
    p.bridgedDnat = 0;
    p.srcMacHi = p.brSavedSrcHi;
    p.srcMacLo = p.brSavedSrcLo;
    p.dev = p.physIn;
    return brHandleFrameFinish(dp, p, br);
  }
  p.physIn = NONE;
  if (isBroadcast(p.dstMacHi, p.dstMacLo) || isMulticast(p.dstMacHi)) {
    brFlood(dp, p, br, true);
    dp.releaseCtRef(p);
    dp.pool.put(p);
    return;
  }
  const dst = dp.fdb[br]!.lookup(p.dstMacHi, p.dstMacLo, p.finishNs);
  if (dst >= 0) return brForward(dp, p, br, dst, true);
  if (dst === FDB_UNKNOWN) brFlood(dp, p, br, true);
  dp.releaseCtRef(p);
  dp.pool.put(p);
}

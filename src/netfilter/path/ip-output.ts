// Output side of the host: ip_local_out (LOCAL_OUT hooks), ip_output (POST_ROUTING), ip_finish_output
// (fragmentation when the packet exceeds the route MTU or was reassembled), ip_finish_output2 (neighbour
// resolution: fast path, resolve path, or queue while INCOMPLETE), and dev_queue_xmit onto a device —
// including a bridge device's own transmit (br_dev_xmit) and the loopback device.

import { putBe16, putBe32 } from '../../util/bytes.js';
import { formatIpv4 } from '../../util/ipv4.js';
import { Verdict } from '../skb.js';
import type { Datapath } from './datapath.js';
import type { Pkt } from './pkt.js';
import { PktType, RtKind } from './pkt.js';
import { checksumHelp, ipDoFragment } from './fragment.js';
import { Csum } from '../../decode/meta.js';
import type { FragmentSink } from './fragment.js';
import { NeighVerdict } from './neigh.js';
import type { NeighEntry } from './neigh.js';
import { outputKey, packetFlow, routeOutput } from './route.js';
import { icmpSend } from './icmp.js';
import { brDevXmit } from './bridge.js';
import { vxlanXmit } from './vxlan.js';
import { receiveOnDevice } from './ip-input.js';

const ETH_P_IP = 0x0800;
const ICMP_DEST_UNREACH = 3;
const ICMP_FRAG_NEEDED = 4;

/** Per-datapath scratch for fragmentation (the fragment sink re-enters ip_finish_output2). */
class FragOut implements FragmentSink {
  constructor(private readonly dp: Datapath) {}
  emitFragment(frag: Pkt): void {
    // the scratch fragment is reused by the fragmenter: hand a copy to the output path
    const q = this.dp.pool.get();
    q.copyFrom(frag);
    ipFinishOutput2(this.dp, q);
  }
}
const fragOuts = new WeakMap<Datapath, FragOut>();

function fragOut(dp: Datapath): FragOut {
  let f = fragOuts.get(dp);
  if (f === undefined) {
    f = new FragOut(dp);
    fragOuts.set(dp, f);
  }
  return f;
}

/**
 * ip_route_me_harder for a local packet whose addresses, mark or TOS changed in LOCAL_OUT: the packet's own
 * flow (its source is one of ours, so it is kept in the key), with protocol and ports.
 */
export function rerouteLocal(dp: Datapath, p: Pkt): boolean {
  return routeOutput(dp, p, p.meta.daddr, packetFlow(outputKey(p, p.meta.daddr), p)) >= 0;
}

/**
 * ip_local_out → NF_INET_LOCAL_OUT → dst_output. The packet must have an output route (routeOutput) and,
 * for kernel replies, its conntrack attachment. Takes ownership of `p`.
 */
export function ipLocalOut(dp: Datapath, p: Pkt): void {
  p.pktType = PktType.OUTGOING;
  const v = dp.localOut(p, p.rtDev, (q) => rerouteLocal(dp, q as Pkt));
  if (v !== Verdict.ACCEPT) return verdictEnd(dp, p, v);
  ipOutput(dp, p, -1);
}

/** ip_output: NF_INET_POST_ROUTING then ip_finish_output. `inIf` is the device a forwarded packet came in on. */
export function ipOutput(dp: Datapath, p: Pkt, inIf: number): void {
  p.dev = p.rtDev;
  const v = dp.postRouting(p, inIf, p.rtDev);
  if (v !== Verdict.ACCEPT) return verdictEnd(dp, p, v);
  ipFinishOutput(dp, p);
}

/** A hook said something other than ACCEPT: drop, or (QUEUE/STOLEN) the packet leaves our hands. */
export function verdictEnd(dp: Datapath, p: Pkt, v: number): void {
  if (v === Verdict.DROP) {
    dp.dropPacket(p, 'drop', 'dropped');
    return;
  }
  if (v === Verdict.QUEUE) {
    dp.dropPacket(p, 'queue', 'queued to userspace (NFQUEUE/QUEUE): no verdict is modelled');
    return;
  }
  // STOLEN: held elsewhere (defrag queue, neighbour queue)
}

/** ip_finish_output: fragment when needed, else straight to the neighbour layer. */
export function ipFinishOutput(dp: Datapath, p: Pkt): void {
  const m = p.meta;
  const mtu = p.rtMtu;
  // ip_finish_output_gso: segments that fit go out as they are (see Pkt.gso)
  if (p.gso === 1) return ipFinishOutput2(dp, p);
  if (m.ipTotalLen > mtu || p.fragMaxSize !== 0) {
    // ip_fragment: a DF packet that does not fit (or came from larger DF fragments) gets frag-needed
    if (m.dontFrag !== 0 && (m.ipTotalLen > mtu || p.fragMaxSize > mtu)) {
      icmpSend(dp, p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
      dp.kernelDrop(p, 'frag_needed', `packet of ${m.ipTotalLen} bytes with DF set exceeds the MTU ${mtu} of the output route`, p.hook);
      dp.dropPacket(p, 'frag_needed', 'DF set and MTU exceeded');
      return;
    }
    const scratch = dp.pool.get();
    ipDoFragment(p, mtu, scratch, fragOut(dp));
    dp.pool.put(scratch);
    dp.releaseCtRef(p);
    dp.pool.put(p);
    return;
  }
  ipFinishOutput2(dp, p);
}

/** ip_finish_output2: loopback, or the neighbour of the route's next hop. Takes ownership of `p`. */
export function ipFinishOutput2(dp: Datapath, p: Pkt): void {
  const dev = p.rtDev;
  if (dev === dp.lo && dp.lo >= 0) {
    loopbackXmit(dp, p);
    return;
  }
  if (p.rtKind === RtKind.BROADCAST) {
    setMacs(dp, p, dev, 0xffff, 0xffffffff);
    devXmit(dp, p, dev);
    return;
  }
  const e = dp.neigh.entry(dev, p.rtNexthop);
  const v = dp.neigh.output(e, p.finishNs);
  if (v === NeighVerdict.QUEUED) {
    dp.neigh.queue(e, p, (old) => dp.dropPacket(old, 'neigh_queue', `neighbour queue overflow while resolving ${formatIpv4(p.rtNexthop)}`));
    return;
  }
  neighSend(dp, p, e);
}

/** Send through a resolved neighbour (fast or resolve path): MACs of the device and the neighbour. */
export function neighSend(dp: Datapath, p: Pkt, e: NeighEntry): void {
  setMacs(dp, p, e.dev, e.macHi, e.macLo);
  devXmit(dp, p, e.dev);
}

function setMacs(dp: Datapath, p: Pkt, dev: number, dstHi: number, dstLo: number): void {
  const d = dp.host.iface(dev);
  p.srcMacHi = d.macHi;
  p.srcMacLo = d.macLo;
  p.dstMacHi = dstHi;
  p.dstMacLo = dstLo;
}

/**
 * dev_queue_xmit on `dev`: the frame is seen on the device's tap (tx), then a bridge device forwards it to
 * its ports (br_dev_xmit) and a VXLAN device encapsulates it (vxlan_xmit). Takes ownership of `p`.
 */
export function devXmit(dp: Datapath, p: Pkt, dev: number): void {
  txFrame(dp, p, dev);
  const kind = dp.host.iface(dev).kind;
  if (kind === 'bridge') {
    brDevXmit(dp, p, dev);
    return;
  }
  if (kind === 'vxlan') {
    vxlanXmit(dp, p, dev);
    return;
  }
  dp.releaseCtRef(p);
  dp.pool.put(p);
}

/** Write the Ethernet header in front of the IP packet and report the frame on `dev`. HOT. */
export function txFrame(dp: Datapath, p: Pkt, dev: number): void {
  // validate_xmit_skb: a device without checksum offload gets the checksum completed before its tap sees it
  if ((p.meta.csum & Csum.L4_PARTIAL) !== 0 && dp.completesChecksums(dev)) checksumHelp(p);
  writeFrame(dp, p, dev);
  const lower = dp.macvlanLower(dev, p.dstMacHi, p.dstMacLo);
  if (lower >= 0) txFrame(dp, p, lower);
}

/** The frame of `p` as `dev`'s tap sees it leave, written as it is. HOT. */
export function writeFrame(dp: Datapath, p: Pkt, dev: number): void {
  const m = p.meta;
  const b = p.buf;
  const off = m.l3Off - 14;
  putBe16(b, off, p.dstMacHi);
  putBe32(b, off + 2, p.dstMacLo);
  putBe16(b, off + 6, p.srcMacHi);
  putBe32(b, off + 8, p.srcMacLo);
  putBe16(b, off + 12, ETH_P_IP);
  // bytes past the capture's end were never seen: the frame is written as long as the capture holds it
  const have = m.frameOff + m.caplen - m.l3Off;
  dp.sink.tx(dev, b, off, 14 + (have < m.ipTotalLen ? have : m.ipTotalLen), 14 + m.ipTotalLen, p.finishNs, p);
}

/** loopback_xmit: the frame shows on lo's tap and comes straight back in on lo (netif_rx). */
function loopbackXmit(dp: Datapath, p: Pkt): void {
  p.srcMacHi = 0;
  p.srcMacLo = 0;
  p.dstMacHi = 0;
  p.dstMacLo = 0;
  txFrame(dp, p, dp.lo);
  p.pktType = PktType.HOST;
  p.rtKind = RtKind.NONE;
  p.iif = dp.lo;
  receiveOnDevice(dp, p, dp.lo);
}

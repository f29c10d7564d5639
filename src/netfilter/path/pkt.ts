// Pkt: one packet in flight through the host — the Skb netfilter sees, plus what the rest of the stack
// keeps in sk_buff and its control blocks: its own byte buffer, link addresses, pkt_type, the route
// (skb_dst), the br_netfilter state (nf_bridge_info) and IPCB(skb)->frag_max_size. Pooled and reused.

import { PacketMeta } from '../../decode/meta.js';
import { bindView } from '../../decode/view.js';
import { NONE, Skb } from '../skb.js';

/** Room before the frame (link header rebuilt in place) and after it (TCPMSS option insertion). */
export const HEADROOM = 128;
export const BUF_SIZE = HEADROOM + 65535 + 128;

/** skb->pkt_type (PACKET_*). */
export const PktType = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4, LOOPBACK: 5 } as const;

/** What the route attached to the packet says (rt_type / RTCF flags distilled). */
export const RtKind = {
  NONE: 0,
  LOCAL: 1,
  FORWARD: 2,
  BROADCAST: 3,
  MULTICAST: 4,
  OUTPUT: 5,
  BLACKHOLE: 6,
  UNREACHABLE: 7,
  PROHIBIT: 8,
  /** br_netfilter's fake rtable of the bridge (bridge_parent_rtable): MTU only; ip_rcv_finish re-routes. */
  FAKE: 9,
} as const;

export class Pkt extends Skb {
  readonly buf: Uint8Array;
  /** A DataView over `buf`, made once: see bindView(). */
  readonly view: DataView;
  /** Link addresses of the frame as it is now (MAC as 16 + 32 bits). */
  srcMacHi = 0;
  srcMacLo = 0;
  dstMacHi = 0;
  dstMacLo = 0;
  /** skb->dev: the device the packet is on now; `iif` the device it arrived on (inet_iif). */
  dev = NONE;
  iif = NONE;
  /** skb_dst: kind, output device, next hop, MTU, preferred source; rtInput 1 for input routes. */
  rtKind = 0;
  rtDev = NONE;
  rtNexthop = 0;
  rtMtu = 0;
  rtPrefsrc = 0;
  rtInput = 0;
  /** IPSKB_DOREDIRECT: forwarded out of the device it came in on, to a sender on that link. */
  rtRedirect = 0;
  /** br_netfilter state: 1 when the packet went through br_nf_pre_routing. */
  nfBridge = 0;
  /** daddr before br_netfilter PREROUTING (br_nf_ipv4_daddr_was_changed). */
  brOrigDaddr = 0;
  /** br_nf_pre_routing_finish_bridge_slow must restore the original source MAC. */
  bridgedDnat = 0;
  /** The source MAC br_netfilter saved for the slow path (nf_bridge->neigh_header). */
  brSavedSrcHi = 0;
  brSavedSrcLo = 0;
  /** IPCB(skb)->frag_max_size: largest fragment seen by defrag (0 when not reassembled). */
  fragMaxSize = 0;
  /**
   * skb_is_gso: a TCP/UDP packet longer than the MTU of the device it came in on, which only a GRO or TSO
   * super-packet can be. The capture does not record its segment size: the segments are taken to fit every
   * MTU on the way, and the packet leaves whole, as through devices with TSO.
   */
  gso = 0;
  /** Payload lengths of the fragments a reassembled datagram came from (the skb frag_list), or null. */
  fragGeom: number[] | null = null;
  /** 0-based index of the input packet this one is (or was generated while processing). */
  index = 0;
  /** 1 for packets the host generated (RST, ICMP, echo replies). */
  generated = 0;
  /** Finish time f (ns) of the packet's processing event: confirmation and visibility. */
  finishNs = 0;

  constructor() {
    super(new PacketMeta());
    this.buf = new Uint8Array(BUF_SIZE);
    this.view = new DataView(this.buf.buffer);
    this.meta.data = this.buf;
  }

  /** Make the decoder read this packet through its own DataView instead of making one per packet. HOT. */
  bindView(): void {
    bindView(this.buf, this.view);
  }

  /** Forget everything about the previous packet (the bytes are overwritten by the next user). */
  reset(): void {
    this.hook = 0;
    this.inIf = NONE;
    this.outIf = NONE;
    this.physIn = NONE;
    this.physOut = NONE;
    this.bridged = 0;
    this.mark = 0;
    this.sock = 0;
    this.ctTmpl = 0;
    this.ctZone = 0;
    this.ct = NONE;
    this.ctInfo = 0;
    this.untracked = 0;
    this.ctStatus = 0;
    this.ctMark = 0;
    this.srcMacHi = 0;
    this.srcMacLo = 0;
    this.dstMacHi = 0;
    this.dstMacLo = 0;
    this.pktType = 0;
    this.dev = NONE;
    this.iif = NONE;
    this.rtKind = 0;
    this.rtDev = NONE;
    this.rtNexthop = 0;
    this.rtMtu = 0;
    this.rtPrefsrc = 0;
    this.rtInput = 0;
    this.rtRedirect = 0;
    this.nfBridge = 0;
    this.brOrigDaddr = 0;
    this.bridgedDnat = 0;
    this.brSavedSrcHi = 0;
    this.brSavedSrcLo = 0;
    this.fragMaxSize = 0;
    this.gso = 0;
    this.fragGeom = null;
    this.generated = 0;
  }

  /** Copy the whole state and bytes of `o` (clones for flooding, queues, defrag). */
  copyFrom(o: Pkt): void {
    const m = this.meta;
    const om = o.meta;
    // through the IP packet, or the whole captured frame for what is not IPv4 (ARP, IPv6 ...)
    const end = Math.max(om.l3Off + om.ipTotalLen, om.frameOff + om.caplen) + 4;
    this.buf.set(o.buf.subarray(0, Math.min(end, o.buf.length)));
    Object.assign(m, om);
    m.data = this.buf;
    this.hook = o.hook;
    this.inIf = o.inIf;
    this.outIf = o.outIf;
    this.physIn = o.physIn;
    this.physOut = o.physOut;
    this.bridged = o.bridged;
    this.mark = o.mark;
    this.sock = o.sock;
    this.ctTmpl = o.ctTmpl;
    this.ctZone = o.ctZone;
    this.ct = o.ct;
    this.ctInfo = o.ctInfo;
    this.untracked = o.untracked;
    this.ctStatus = o.ctStatus;
    this.ctMark = o.ctMark;
    this.ctProto = o.ctProto;
    this.ctOrigSrc = o.ctOrigSrc;
    this.ctOrigDst = o.ctOrigDst;
    this.ctOrigSport = o.ctOrigSport;
    this.ctOrigDport = o.ctOrigDport;
    this.ctReplSrc = o.ctReplSrc;
    this.ctReplDst = o.ctReplDst;
    this.ctReplSport = o.ctReplSport;
    this.ctReplDport = o.ctReplDport;
    this.ctExpiresNs = o.ctExpiresNs;
    this.nowNs = o.nowNs;
    this.vcpu = o.vcpu;
    this.srcMacHi = o.srcMacHi;
    this.srcMacLo = o.srcMacLo;
    this.dstMacHi = o.dstMacHi;
    this.dstMacLo = o.dstMacLo;
    this.pktType = o.pktType;
    this.dev = o.dev;
    this.iif = o.iif;
    this.rtKind = o.rtKind;
    this.rtDev = o.rtDev;
    this.rtNexthop = o.rtNexthop;
    this.rtMtu = o.rtMtu;
    this.rtPrefsrc = o.rtPrefsrc;
    this.rtInput = o.rtInput;
    this.rtRedirect = o.rtRedirect;
    this.nfBridge = o.nfBridge;
    this.brOrigDaddr = o.brOrigDaddr;
    this.bridgedDnat = o.bridgedDnat;
    this.brSavedSrcHi = o.brSavedSrcHi;
    this.brSavedSrcLo = o.brSavedSrcLo;
    this.fragMaxSize = o.fragMaxSize;
    this.gso = o.gso;
    this.fragGeom = o.fragGeom;
    this.index = o.index;
    this.generated = o.generated;
    this.finishNs = o.finishNs;
  }
}

/** A free list of Pkt buffers; grows on demand (queues and clones are bounded by their own limits). */
export class PktPool {
  private readonly free: Pkt[] = [];
  allocated = 0;

  get(): Pkt {
    const p = this.free.pop();
    if (p !== undefined) {
      p.reset();
      return p;
    }
    this.allocated++;
    return new Pkt();
  }

  put(p: Pkt): void {
    this.free.push(p);
  }

  /**
   * A fresh packet made while `orig` is processed (an answer, an encapsulation): it belongs to the same input
   * packet and vCPU, and lives at the given times.
   */
  derived(orig: Pkt, nowNs: number, finishNs: number): Pkt {
    const q = this.get();
    q.index = orig.index;
    q.vcpu = orig.vcpu;
    q.nowNs = nowNs;
    q.finishNs = finishNs;
    q.meta.data = q.buf;
    return q;
  }
}

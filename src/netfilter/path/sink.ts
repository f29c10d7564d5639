// What the datapath reports as it runs: frames leaving interfaces, dropped packets with the reason, and
// notable events (NAT bindings, MSS rewrites, LOG/NFLOG targets, kernel answers). The engine implements it
// (pcap writers, report builders); tests use an in-memory collector.

import type { Pkt } from './pkt.js';

/** Why a packet left the datapath without being sent, as a short stable code + human detail. */
export interface DropInfo {
  /** Stable code: 'rule', 'policy', 'insert_failed', 'ttl', 'no_route', 'forwarding_off', 'frag_needed', ... */
  code: string;
  /** `filter:FORWARD:rule 3`, `filter:FORWARD:policy`, or a sentence for kernel drops. */
  detail: string;
  /** Hook the packet was in (Hook.*), -1 outside netfilter. */
  hook: number;
}

export interface DatapathSink {
  /**
   * A frame leaves interface `dev` at virtual time `tNs`: bytes buf[off, off + len) of a frame of `wireLen`
   * bytes (longer when the capture holds only the start of the packet).
   */
  tx(dev: number, buf: Uint8Array, off: number, len: number, wireLen: number, tNs: number, p: Pkt | null): void;
  /** A packet was dropped (p still holds it, as the hook saw it). */
  drop(p: Pkt, info: DropInfo, tNs: number): void;
  /** Something worth reporting happened (see DatapathEvent). */
  event(kind: number, p: Pkt, a: number, b: number, text: string): void;
}

/** Event kinds of DatapathSink.event (a and b are kind-specific numbers). */
export const DatapathEvent = {
  /** NAT binding made: a = manip (0 SRC, 1 DST), text = "orig → new" description. */
  NAT_BINDING: 1,
  /** TCPMSS changed an MSS: a = old value (-1 when inserted), b = new value. */
  MSS_REWRITE: 2,
  /** LOG / NFLOG / TRACE target fired: text = prefix. */
  LOG: 3,
  /** The host answered (echo reply, RST, ICMP error): a = ICMP type or 256 for RST, b = code. */
  ANSWER: 4,
  /** A locally delivered packet reached a listening socket (its answer is not modelled). */
  DELIVERED: 5,
  /** Fragments reassembled into one datagram: a = fragments. */
  REASSEMBLED: 6,
  /** A route lookup's answer, for traces only (sent only while a packet is traced): text = the route. */
  ROUTE: 7,
} as const;

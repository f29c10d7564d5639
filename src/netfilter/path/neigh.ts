// The IPv4 neighbour cache (ARP), mirroring net/core/neighbour.c's state machine on virtual time:
// INCOMPLETE entries queue packets until an ARP reply arrives (or fail after 3 probes, 1 s apart),
// STALE entries send at once and go to DELAY, DELAY becomes PROBE after 5 s, REACHABLE ages to STALE after
// reachable_time (base 30 s, randomised 0.5x-1.5x from the seeded PRNG). `hh` marks a cached header: the
// br_netfilter DNAT fast path needs CONNECTED state *and* it (br_nf_pre_routing_finish_bridge).

import type { Prng } from '../../util/prng.js';
import type { HostNeighbour } from '../../host/types.js';
import type { Pkt } from './pkt.js';

export const Nud = {
  NONE: 0,
  INCOMPLETE: 1,
  REACHABLE: 2,
  STALE: 3,
  DELAY: 4,
  PROBE: 5,
  FAILED: 6,
  PERMANENT: 7,
} as const;

const RETRANS_NS = 1e9;
const MCAST_SOLICIT = 3;
const UCAST_SOLICIT = 3;
const DELAY_FIRST_PROBE_NS = 5e9;
const BASE_REACHABLE_NS = 30e9;
/** unres_qlen_bytes default (SK_WMEM_MAX-ish): bytes queued per unresolved neighbour. */
const UNRES_QLEN_BYTES = 212992;

export class NeighEntry {
  state: number = Nud.NONE;
  macHi = 0;
  macLo = 0;
  /** A cached hardware header exists (set after the first resolve-path output). */
  hh = 0;
  /** Virtual time of the next timer transition (state dependent), or Infinity. */
  deadlineNs = Infinity;
  probes = 0;
  queue: Pkt[] = [];
  queueBytes = 0;
  constructor(
    readonly dev: number,
    readonly addr: number,
  ) {}
}

/** What output over a neighbour decided. */
export const NeighVerdict = { SEND_FAST: 0, SEND_RESOLVE: 1, QUEUED: 2, DROP: 3 } as const;

export interface NeighEvents {
  /** The host sends an ARP request for `addr` on `dev` (broadcast, or unicast to the known MAC). */
  arpRequest(dev: number, addr: number, unicastHi: number, unicastLo: number, nowNs: number): void;
  /** Queued packets of a neighbour that failed: drop them (and send ICMP host unreachable). */
  failed(p: Pkt, nowNs: number): void;
  /** Queued packets of a neighbour that resolved: send them now. */
  resolved(p: Pkt, n: NeighEntry, nowNs: number): void;
}

export class NeighTable {
  private readonly entries = new Map<number, NeighEntry>();
  /** No entry's timer falls due before this (a lower bound, lowered whenever a timer is armed). */
  private earliestNs = Infinity;

  constructor(
    private readonly rng: Prng,
    private readonly events: NeighEvents,
    seed: readonly HostNeighbour[],
  ) {
    // entries listed in the snapshot are known addresses whose reachability is unconfirmed: STALE
    for (const n of seed) {
      const e = this.entry(n.dev, n.addr);
      e.macHi = n.macHi;
      e.macLo = n.macLo;
      e.state = n.state.includes('PERMANENT') ? Nud.PERMANENT : Nud.STALE;
    }
  }

  private key(dev: number, addr: number): number {
    return dev * 4294967296 + addr;
  }

  entry(dev: number, addr: number): NeighEntry {
    const k = this.key(dev, addr);
    let e = this.entries.get(k);
    if (e === undefined) {
      e = new NeighEntry(dev, addr);
      this.entries.set(k, e);
    }
    return e;
  }

  peek(dev: number, addr: number): NeighEntry | undefined {
    return this.entries.get(this.key(dev, addr));
  }

  /** NUD_CONNECTED (REACHABLE, PERMANENT) after running due timers. */
  connected(e: NeighEntry, nowNs: number): boolean {
    this.tick(e, nowNs);
    return e.state === Nud.REACHABLE || e.state === Nud.PERMANENT;
  }

  /**
   * Fire every timer due by `nowNs`, in deadline order across entries (the kernel's timers run on their own:
   * a probe goes out, a failed resolution answers its queued packets, with nothing else happening).
   */
  runTimers(nowNs: number): void {
    while (this.earliestNs <= nowNs) {
      let first: NeighEntry | null = null;
      for (const e of this.entries.values()) if (e.deadlineNs <= nowNs && (first === null || e.deadlineNs < first.deadlineNs)) first = e;
      if (first === null) {
        this.earliestNs = Infinity;
        for (const e of this.entries.values()) if (e.deadlineNs < this.earliestNs) this.earliestNs = e.deadlineNs;
        return;
      }
      this.tick(first, first.deadlineNs);
    }
  }

  /** Arm `e`'s timer for `atNs`. */
  private arm(e: NeighEntry, atNs: number): void {
    e.deadlineNs = atNs;
    if (atNs < this.earliestNs) this.earliestNs = atNs;
  }

  /** Apply timer transitions that fell due by `nowNs` (neigh_timer_handler, lazily). */
  tick(e: NeighEntry, nowNs: number): void {
    while (e.deadlineNs <= nowNs) {
      const at = e.deadlineNs;
      switch (e.state) {
        case Nud.REACHABLE:
          e.state = Nud.STALE;
          e.deadlineNs = Infinity;
          break;
        case Nud.DELAY:
          e.state = Nud.PROBE;
          e.probes = 1;
          this.arm(e, at + RETRANS_NS);
          this.events.arpRequest(e.dev, e.addr, e.macHi, e.macLo, at);
          break;
        case Nud.PROBE:
        case Nud.INCOMPLETE: {
          const max = e.state === Nud.PROBE ? UCAST_SOLICIT : MCAST_SOLICIT;
          if (e.probes >= max) {
            e.state = Nud.FAILED;
            e.deadlineNs = Infinity;
            e.hh = 0;
            const q = e.queue;
            e.queue = [];
            e.queueBytes = 0;
            for (const p of q) this.events.failed(p, at);
          } else {
            e.probes++;
            this.arm(e, at + RETRANS_NS);
            if (e.state === Nud.PROBE) this.events.arpRequest(e.dev, e.addr, e.macHi, e.macLo, at);
            else this.events.arpRequest(e.dev, e.addr, -1, -1, at);
          }
          break;
        }
        default:
          e.deadlineNs = Infinity;
      }
    }
  }

  /**
   * neigh_output for a packet to `e`: send on the cached-header fast path, send through the resolve path
   * (STALE → DELAY), or queue while INCOMPLETE. Queued packets are copied by the caller (see `queue`).
   */
  output(e: NeighEntry, nowNs: number): number {
    this.tick(e, nowNs);
    switch (e.state) {
      case Nud.REACHABLE:
      case Nud.PERMANENT:
        if (e.hh !== 0) return NeighVerdict.SEND_FAST;
        e.hh = 1;
        return NeighVerdict.SEND_RESOLVE;
      case Nud.DELAY:
      case Nud.PROBE:
        e.hh = 1;
        return NeighVerdict.SEND_RESOLVE;
      case Nud.STALE:
        e.state = Nud.DELAY;
        this.arm(e, nowNs + DELAY_FIRST_PROBE_NS);
        e.hh = 1;
        return NeighVerdict.SEND_RESOLVE;
      case Nud.INCOMPLETE:
        return NeighVerdict.QUEUED;
      default:
        // NONE or FAILED: start resolving (first ARP request now)
        e.state = Nud.INCOMPLETE;
        e.probes = 1;
        this.arm(e, nowNs + RETRANS_NS);
        this.events.arpRequest(e.dev, e.addr, -1, -1, nowNs);
        return NeighVerdict.QUEUED;
    }
  }

  /** Hold a copy of a packet for an INCOMPLETE neighbour (oldest dropped past unres_qlen_bytes). */
  queue(e: NeighEntry, p: Pkt, onEvict: (old: Pkt) => void): void {
    e.queue.push(p);
    e.queueBytes += p.meta.ipTotalLen;
    while (e.queueBytes > UNRES_QLEN_BYTES && e.queue.length > 1) {
      const old = e.queue.shift()!;
      e.queueBytes -= old.meta.ipTotalLen;
      onEvict(old);
    }
  }

  /** An ARP reply addressed to us (neigh_update to REACHABLE): flush the queue. */
  confirm(dev: number, addr: number, macHi: number, macLo: number, nowNs: number): void {
    const e = this.entry(dev, addr);
    this.tick(e, nowNs);
    if (e.state === Nud.PERMANENT) return;
    if (e.macHi !== macHi || e.macLo !== macLo) e.hh = 0;
    e.macHi = macHi;
    e.macLo = macLo;
    e.state = Nud.REACHABLE;
    e.probes = 0;
    this.arm(e, nowNs + this.reachableTime());
    const q = e.queue;
    // the queued packets go out through neigh_resolve_output, which caches the header (neigh_hh_init)
    if (q.length > 0) e.hh = 1;
    e.queue = [];
    e.queueBytes = 0;
    for (const p of q) this.events.resolved(p, e, nowNs);
  }

  /** An ARP request from `addr` for one of our addresses (neigh_event_ns): create or refresh as STALE. */
  learnSender(dev: number, addr: number, macHi: number, macLo: number, nowNs: number): void {
    const e = this.entry(dev, addr);
    this.tick(e, nowNs);
    if (e.state === Nud.PERMANENT) return;
    const changed = e.macHi !== macHi || e.macLo !== macLo;
    if (e.state === Nud.NONE || e.state === Nud.FAILED || e.state === Nud.INCOMPLETE || changed) {
      if (changed) e.hh = 0;
      e.macHi = macHi;
      e.macLo = macLo;
      const q = e.queue;
      e.state = Nud.STALE;
      e.deadlineNs = Infinity;
      e.queue = [];
      e.queueBytes = 0;
      for (const p of q) this.events.resolved(p, e, nowNs);
    }
  }

  /** neigh_rand_reach_time: uniformly in [base/2, 3*base/2). */
  private reachableTime(): number {
    return BASE_REACHABLE_NS / 2 + this.rng.below(BASE_REACHABLE_NS);
  }

  /** Entries for the report: address, device, state, MAC. */
  all(): NeighEntry[] {
    return [...this.entries.values()];
  }
}

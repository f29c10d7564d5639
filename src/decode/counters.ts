// DecodeCounters: the decoder's counter block (stats/CounterBlock) — packets and bytes, the L3 and L4 mix,
// fragments, VLAN-tagged frames, checksum outcomes, and one counter per decode event at EVENT_BASE + id.
// One block per decoding thread; merge by addition.

import { CounterBlock, counterNames } from '../stats/counters.js';
import { DECODE_EVENT_COUNT, DECODE_EVENT_NAMES } from './events.js';
import type { PacketMeta } from './meta.js';

/** Indices of the fixed counters (events follow at EVENT_BASE + event id). */
export const DecodeCounter = {
  PACKETS: 0,
  /** Bytes on the wire (original lengths). */
  BYTES: 1,
  /** Bytes captured (caplen). */
  CAPTURED_BYTES: 2,
  /** Frames whose capture was cut (caplen < wire length). */
  SNAPPED_PACKETS: 3,
  L3_NONE: 4,
  L3_IPV4: 5,
  L3_IPV6: 6,
  L3_ARP: 7,
  L3_OTHER: 8,
  VLAN_TAGGED: 9,
  TCP: 10,
  UDP: 11,
  ICMP: 12,
  ICMPV6: 13,
  SCTP: 14,
  /** IP packets carrying any other protocol (or no transport header: non-first fragments count here too). */
  L4_OTHER: 15,
  /** IPv4/IPv6 fragments (MF set or offset > 0). */
  FRAGMENTS: 16,
  /** ICMP errors whose quoted IPv4 header was decoded. */
  ICMP_ERRORS: 17,
  IPV4_CSUM_CHECKED: 18,
  IPV4_CSUM_BAD: 19,
  L4_CSUM_CHECKED: 20,
  L4_CSUM_BAD: 21,
  /** UDP datagrams without a checksum (0). */
  L4_CSUM_NONE: 22,
  /** L4 checksums that could not be verified (snapped or fragmented). */
  L4_CSUM_UNVERIFIABLE: 23,
  /** TCP/UDP checksums left for the NIC to fill in (only the pseudo-header sum: TX checksum offload). */
  L4_CSUM_PARTIAL: 24,
  /** Packets with at least one decode event. */
  PACKETS_WITH_EVENTS: 25,
} as const;

/** Index of the counter of decode event `id` is EVENT_BASE + id. */
export const EVENT_BASE = 26;

const NAMES: readonly string[] = [...counterNames(DecodeCounter), ...DECODE_EVENT_NAMES.map((n, i) => (i === 0 ? 'EVENT_NONE' : `EVENT_${n}`))];

/** The decoder's counters. `eventCount(id)` reads one event's counter. */
export class DecodeCounters extends CounterBlock {
  constructor(buffer?: ArrayBufferLike, byteOffset = 0) {
    super(NAMES, buffer, byteOffset);
  }

  eventCount(id: number): number {
    return id > 0 && id < DECODE_EVENT_COUNT ? this.values[EVENT_BASE + id]! : 0;
  }

  /** event name → count for the events that occurred. */
  events(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let id = 1; id < DECODE_EVENT_COUNT; id++) {
      const v = this.values[EVENT_BASE + id]!;
      if (v !== 0) out[DECODE_EVENT_NAMES[id]!] = v;
    }
    return out;
  }
}

/** Number of counters in a DecodeCounters block (for laying them out in shared memory). */
export const DECODE_COUNTERS_LENGTH = NAMES.length;

/**
 * Record decode event `event` at byte `offset`: the first event of a packet goes into meta.event /
 * meta.eventOffset, every event is counted. HOT.
 */
export function raiseEvent(meta: PacketMeta, counters: DecodeCounters, event: number, offset: number): void {
  if (meta.event === 0) {
    meta.event = event;
    meta.eventOffset = offset;
  }
  counters.values[EVENT_BASE + event]! += 1;
}

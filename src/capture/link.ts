// What the capture layer takes from link headers: only the Linux cooked headers' packet type (SLL, SLL2)
// and interface index (SLL2), which say where a frame was seen and in which direction. Everything else
// about link headers is decoded in decode/; unknown link types pass through untouched.

import { Direction, LinkType } from './types.js';
import type { CaptureRecord } from './types.js';

/** Linux packet types (include/uapi/linux/if_packet.h PACKET_*). */
export const PacketType = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4 } as const;

/** Direction implied by an SLL/SLL2 packet type: outgoing is OUTBOUND, host..otherhost INBOUND. */
export function directionOfPktType(pktType: number): number {
  if (pktType === PacketType.OUTGOING) return Direction.OUTBOUND;
  if (pktType >= 0 && pktType <= PacketType.OTHERHOST) return Direction.INBOUND;
  return Direction.UNKNOWN;
}

/** True for link types whose header carries a packet type (so records need applyCookedHeader). */
export function isCooked(linkType: number): boolean {
  return linkType === LinkType.LINUX_SLL || linkType === LinkType.LINUX_SLL2;
}

/**
 * Fill rec.pktType / rec.ifIndex (and rec.direction when the file gave none) from an SLL or SLL2 header
 * at rec.offset. Headers cut short by the capture leave the fields at -1. HOT.
 */
export function applyCookedHeader(rec: CaptureRecord): void {
  const b = rec.data;
  const o = rec.offset;
  if (rec.linkType === LinkType.LINUX_SLL) {
    // SLL: packet type (2), ARPHRD (2), address length (2), address (8), protocol (2)
    if (rec.caplen >= 2) rec.pktType = (b[o]! << 8) | b[o + 1]!;
  } else {
    // SLL2: protocol (2), reserved (2), ifindex (4), ARPHRD (2), packet type (1), address length (1), address (8)
    if (rec.caplen >= 8) rec.ifIndex = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
    if (rec.caplen >= 11) rec.pktType = b[o + 10]!;
  }
  if (rec.direction === Direction.UNKNOWN && rec.pktType >= 0) rec.direction = directionOfPktType(rec.pktType);
}

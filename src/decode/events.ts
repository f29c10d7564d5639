// Decode events: every malformation the decoder can meet, named in the Suricata style, with the layer it
// concerns. A packet records its first event in PacketMeta.event / eventOffset; every event raised is
// counted in DecodeCounters. Events describe what the wire carried (lengths are judged against the wire
// length); SNAPPED alone says a header existed on the wire but the capture's snap length cut it.

/** Decode event ids (0 = none). Stable: new events are appended. */
export const DecodeEvent = {
  NONE: 0,
  /** A header present on the wire is cut by the capture's snap length; decoding stops there. */
  SNAPPED: 1,
  LINKTYPE_UNSUPPORTED: 2,
  ETH_PKT_TOO_SMALL: 3,
  VLAN_HEADER_TOO_SMALL: 4,
  VLAN_TOO_MANY_LAYERS: 5,
  SLL_PKT_TOO_SMALL: 6,
  SLL2_PKT_TOO_SMALL: 7,
  NULL_PKT_TOO_SMALL: 8,
  RAW_INVALID_IP_VERSION: 9,
  ARP_PKT_TOO_SMALL: 10,
  IPV4_PKT_TOO_SMALL: 11,
  IPV4_WRONG_IP_VER: 12,
  IPV4_HLEN_TOO_SMALL: 13,
  IPV4_IPLEN_SMALLER_THAN_HLEN: 14,
  IPV4_TRUNC: 15,
  IPV4_OPT_INVALID_LEN: 16,
  IPV4_FRAG_PKT_TOO_LARGE: 17,
  IPV6_PKT_TOO_SMALL: 18,
  IPV6_WRONG_IP_VER: 19,
  IPV6_TRUNC: 20,
  IPV6_EXTHDR_TRUNC: 21,
  IPV6_EXTHDR_TOO_MANY: 22,
  TCP_PKT_TOO_SMALL: 23,
  TCP_HLEN_TOO_SMALL: 24,
  TCP_HLEN_PAST_END: 25,
  TCP_OPT_INVALID_LEN: 26,
  UDP_PKT_TOO_SMALL: 27,
  UDP_LEN_INVALID: 28,
  SCTP_PKT_TOO_SMALL: 29,
  ICMP_PKT_TOO_SMALL: 30,
  ICMPV6_PKT_TOO_SMALL: 31,
  ICMP_INNER_IPV4_TOO_SMALL: 32,
  ICMP_INNER_IPV4_UNKNOWN_VER: 33,
  ICMP_INNER_IPV4_HLEN_TOO_SMALL: 34,
} as const;
export type DecodeEventId = (typeof DecodeEvent)[keyof typeof DecodeEvent];

/** Number of event ids (NONE included). */
export const DECODE_EVENT_COUNT = 35;

/** Names indexed by event id. */
export const DECODE_EVENT_NAMES: readonly string[] = (() => {
  const names = new Array<string>(DECODE_EVENT_COUNT).fill('');
  for (const [k, v] of Object.entries(DecodeEvent)) names[v] = k;
  return names;
})();

/**
 * The layer an event concerns, which says what the kernel does with such a packet: LINK and L3 events are
 * packets ip_rcv() would drop before PREROUTING (or never sees as IPv4), L4 events make conntrack mark the
 * packet INVALID, ICMP_INNER events concern only the quoted packet of an ICMP error, CAPTURE is an
 * artefact of the capture (snap length) rather than of the packet, and OPTION events are malformed TCP
 * options that tcp_parse_options() and conntrack's tcp_options() silently skip (the packet is fine).
 */
export const EventLayer = { NONE: 0, CAPTURE: 1, LINK: 2, L3: 3, L4: 4, ICMP_INNER: 5, OPTION: 6 } as const;

const LAYER: Uint8Array = (() => {
  const l = new Uint8Array(DECODE_EVENT_COUNT);
  const E = DecodeEvent;
  l[E.SNAPPED] = EventLayer.CAPTURE;
  for (const e of [E.LINKTYPE_UNSUPPORTED, E.ETH_PKT_TOO_SMALL, E.VLAN_HEADER_TOO_SMALL, E.VLAN_TOO_MANY_LAYERS, E.SLL_PKT_TOO_SMALL, E.SLL2_PKT_TOO_SMALL, E.NULL_PKT_TOO_SMALL])
    l[e] = EventLayer.LINK;
  for (const e of [
    E.RAW_INVALID_IP_VERSION,
    E.ARP_PKT_TOO_SMALL,
    E.IPV4_PKT_TOO_SMALL,
    E.IPV4_WRONG_IP_VER,
    E.IPV4_HLEN_TOO_SMALL,
    E.IPV4_IPLEN_SMALLER_THAN_HLEN,
    E.IPV4_TRUNC,
    E.IPV4_OPT_INVALID_LEN,
    E.IPV4_FRAG_PKT_TOO_LARGE,
    E.IPV6_PKT_TOO_SMALL,
    E.IPV6_WRONG_IP_VER,
    E.IPV6_TRUNC,
    E.IPV6_EXTHDR_TRUNC,
    E.IPV6_EXTHDR_TOO_MANY,
  ])
    l[e] = EventLayer.L3;
  for (const e of [
    E.TCP_PKT_TOO_SMALL,
    E.TCP_HLEN_TOO_SMALL,
    E.TCP_HLEN_PAST_END,
    E.UDP_PKT_TOO_SMALL,
    E.UDP_LEN_INVALID,
    E.SCTP_PKT_TOO_SMALL,
    E.ICMP_PKT_TOO_SMALL,
    E.ICMPV6_PKT_TOO_SMALL,
  ])
    l[e] = EventLayer.L4;
  l[E.TCP_OPT_INVALID_LEN] = EventLayer.OPTION;
  for (const e of [E.ICMP_INNER_IPV4_TOO_SMALL, E.ICMP_INNER_IPV4_UNKNOWN_VER, E.ICMP_INNER_IPV4_HLEN_TOO_SMALL]) l[e] = EventLayer.ICMP_INNER;
  return l;
})();

/** EventLayer.* of an event id. HOT. */
export function eventLayer(event: number): number {
  return event >= 0 && event < DECODE_EVENT_COUNT ? LAYER[event]! : EventLayer.NONE;
}

/** Name of an event id ("" for NONE, "EVENT_<n>" for an id this build does not know). */
export function eventName(event: number): string {
  return event > 0 && event < DECODE_EVENT_COUNT ? DECODE_EVENT_NAMES[event]! : event === 0 ? '' : `EVENT_${event}`;
}

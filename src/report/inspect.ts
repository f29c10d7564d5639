// The `nfreplay inspect` report model: what a capture holds (format, interfaces, link types, packets,
// bytes, time span, protocol mix, flows, decode events, checksum results), accumulated record by record
// with one reused PacketMeta so memory stays bounded, and merged over several files for the total.

import type { CaptureRecord, CaptureWarning } from '../capture/types.js';
import { L3, PacketMeta } from '../decode/meta.js';
import { DecodeCounters, DecodeCounter as C } from '../decode/counters.js';
import { decodeFrame, Verify } from '../decode/decode.js';
import { DECODE_EVENT_COUNT, DECODE_EVENT_NAMES } from '../decode/events.js';
import { isDecodableLinkType, linkTypeName } from '../decode/linktypes.js';
import { FlowSet, type FlowCount } from '../flow/flow-set.js';
import { ipProtoName } from './inspect-names.js';
import { compareTime, formatTime, timeDiff, type InspectTime } from './inspect-time.js';

export type { InspectTime } from './inspect-time.js';

/** Per interface: where frames came from. */
export interface InspectInterface {
  id: number;
  name: string | null;
  description: string | null;
  linkType: number;
  linkTypeName: string;
  decodable: boolean;
  snaplen: number;
  /** "µs", "ns", ... (see tsResolutionName). */
  tsResolution: string;
  packets: number;
}

export interface InspectLinkType {
  linkType: number;
  name: string;
  packets: number;
  /** False: nfreplay reads and counts these frames but cannot decode them. */
  decodable: boolean;
}

export interface InspectTimeSpan {
  /** Earliest and latest packet timestamps (null without packets). */
  start: InspectTime | null;
  end: InspectTime | null;
  /** end - start, exact ("12.000345000") and as a number of seconds. */
  duration: string;
  durationSeconds: number;
  /** Every timestamp >= the previous one (capinfos "strict time order"). */
  ordered: boolean;
}

export interface InspectProtocols {
  l3: { ipv4: number; ipv6: number; arp: number; other: number; none: number };
  /** IP protocol (IPv6: the upper-layer next header) → packets, named where well known ("tcp", "47"). */
  ipv4: Record<string, number>;
  ipv6: Record<string, number>;
  vlanTagged: number;
  /** IPv4/IPv6 fragments (MF set or offset > 0). */
  fragments: number;
  /** ICMP errors whose quoted IPv4 header was decoded. */
  icmpErrors: number;
}

export interface InspectChecksums {
  ipv4Header: { checked: number; bad: number };
  /**
   * TCP, UDP, ICMP, ICMPv6. `unverifiable`: snapped or fragmented; `none`: UDP sent without checksum;
   * `partial`: left for the NIC to fill (TX checksum offload), not an error.
   */
  l4: { checked: number; bad: number; none: number; unverifiable: number; partial: number };
}

export interface InspectEvent {
  count: number;
  /** The first record that raised it: index of its file in the report and of the record in that file. */
  firstFile: number;
  firstRecord: number;
}

/** Everything inspect says about packets, for one file or the total over several. */
export interface InspectStats {
  packets: number;
  /** Bytes on the wire (capinfos "data size") and bytes captured. */
  bytes: { wire: number; captured: number };
  snappedPackets: number;
  linkTypes: InspectLinkType[];
  time: InspectTimeSpan;
  protocols: InspectProtocols;
  flows: FlowCount;
  decodeEvents: Record<string, InspectEvent>;
  checksums: InspectChecksums;
}

export interface InspectFileReport extends InspectStats {
  path: string;
  format: 'pcap' | 'pcapng' | 'merged';
  gzip: boolean;
  /** Size of the file on disk (the compressed size for gzip). */
  fileBytes: number;
  interfaces: InspectInterface[];
  /**
   * Packets per interface index carried by the frames themselves (SLL2, e.g. `tcpdump -i any`), ascending;
   * at most MAX_IFINDEXES distinct indexes are listed, the packets of any others are in `otherIfIndexPackets`.
   */
  ifIndexes: Array<{ ifIndex: number; packets: number }>;
  otherIfIndexPackets: number;
  warnings: CaptureWarning[];
}

/** Distinct SLL2 interface indexes tracked per file (memory stays bounded on hostile input). */
export const MAX_IFINDEXES = 1024;

export interface InspectReport {
  files: InspectFileReport[];
  total: InspectStats;
}

export interface InspectOptions {
  /** Flows counted exactly before switching to an estimate (FlowSet's default when absent). */
  flowCap?: number;
  /** Checksums to verify (Verify.*; default all, since inspect reports L4 checksum errors). */
  verify?: number;
  /** Index of the file in the report (for InspectEvent.firstFile). */
  fileIndex?: number;
}

/** Accumulates the InspectStats of one file's records. */
export class InspectAccumulator {
  readonly counters: DecodeCounters;
  readonly flows: FlowSet;
  private readonly meta: PacketMeta;
  private readonly verify: number;
  private readonly fileIndex: number;
  private readonly ipv4Protos: Float64Array;
  private readonly ipv6Protos: Float64Array;
  private readonly linkTypes: Map<number, number>;
  /** Packets per CaptureRecord.interfaceId, and per interface index carried by the frame (SLL2). */
  readonly perInterface: Map<number, number>;
  readonly perIfIndex: Map<number, number>;
  otherIfIndexPackets: number;
  private readonly firstEvent: Float64Array;
  private start: InspectTime | null;
  private end: InspectTime | null;
  private lastSec: number;
  private lastNsec: number;
  private ordered: boolean;

  constructor(opts: InspectOptions = {}) {
    this.counters = new DecodeCounters();
    this.flows = new FlowSet(opts.flowCap);
    this.meta = new PacketMeta();
    this.verify = opts.verify ?? Verify.ALL;
    this.fileIndex = opts.fileIndex ?? 0;
    this.ipv4Protos = new Float64Array(256);
    this.ipv6Protos = new Float64Array(256);
    this.linkTypes = new Map();
    this.perInterface = new Map();
    this.perIfIndex = new Map();
    this.otherIfIndexPackets = 0;
    this.firstEvent = new Float64Array(DECODE_EVENT_COUNT).fill(-1);
    this.start = null;
    this.end = null;
    this.lastSec = -Infinity;
    this.lastNsec = 0;
    this.ordered = true;
  }

  /** Decode and count one record; `totalFlows` (the union over files) gets its flow too. */
  add(rec: CaptureRecord, totalFlows?: FlowSet): void {
    const m = this.meta;
    const before = this.counters.values[C.PACKETS_WITH_EVENTS]!;
    decodeFrame(m, rec.data, rec.offset, rec.caplen, rec.origLen, rec.linkType, this.counters, this.verify);
    if (this.counters.values[C.PACKETS_WITH_EVENTS]! !== before) this.noteEvents(rec.recordIndex);
    this.flows.add(m);
    if (totalFlows !== undefined) totalFlows.add(m);
    if (m.l3 === L3.IPV4 && m.ipHdrLen !== 0) this.ipv4Protos[m.ipProto]! += 1;
    else if (m.l3 === L3.IPV6 && m.ipHdrLen !== 0) this.ipv6Protos[m.ipProto]! += 1;
    this.linkTypes.set(rec.linkType, (this.linkTypes.get(rec.linkType) ?? 0) + 1);
    this.perInterface.set(rec.interfaceId, (this.perInterface.get(rec.interfaceId) ?? 0) + 1);
    if (rec.ifIndex >= 0) {
      const n = this.perIfIndex.get(rec.ifIndex);
      if (n !== undefined) this.perIfIndex.set(rec.ifIndex, n + 1);
      else if (this.perIfIndex.size < MAX_IFINDEXES) this.perIfIndex.set(rec.ifIndex, 1);
      else this.otherIfIndexPackets++;
    }
    this.noteTime(rec.tsSec, rec.tsNsec);
  }

  /** Remember the first record of every event counted so far that has none yet. */
  private noteEvents(record: number): void {
    for (let id = 1; id < DECODE_EVENT_COUNT; id++) {
      if (this.firstEvent[id] === -1 && this.counters.eventCount(id) > 0) this.firstEvent[id] = record;
    }
  }

  private noteTime(sec: number, nsec: number): void {
    if (sec < this.lastSec || (sec === this.lastSec && nsec < this.lastNsec)) this.ordered = false;
    this.lastSec = sec;
    this.lastNsec = nsec;
    if (this.start === null || compareTime(sec, nsec, this.start) < 0) this.start = formatTime(sec, nsec);
    if (this.end === null || compareTime(sec, nsec, this.end) > 0) this.end = formatTime(sec, nsec);
  }

  /** The statistics so far. */
  stats(): InspectStats {
    const v = this.counters.values;
    const events: Record<string, InspectEvent> = {};
    for (let id = 1; id < DECODE_EVENT_COUNT; id++) {
      const n = this.counters.eventCount(id);
      if (n > 0) events[DECODE_EVENT_NAMES[id]!] = { count: n, firstFile: this.fileIndex, firstRecord: this.firstEvent[id]! };
    }
    const linkTypes: InspectLinkType[] = [...this.linkTypes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([lt, n]) => ({ linkType: lt, name: linkTypeName(lt), packets: n, decodable: isDecodableLinkType(lt) }));
    const diff = timeDiff(this.start, this.end);
    return {
      packets: v[C.PACKETS]!,
      bytes: { wire: v[C.BYTES]!, captured: v[C.CAPTURED_BYTES]! },
      snappedPackets: v[C.SNAPPED_PACKETS]!,
      linkTypes,
      time: { start: this.start, end: this.end, duration: diff.text, durationSeconds: diff.seconds, ordered: this.ordered },
      protocols: {
        l3: { ipv4: v[C.L3_IPV4]!, ipv6: v[C.L3_IPV6]!, arp: v[C.L3_ARP]!, other: v[C.L3_OTHER]!, none: v[C.L3_NONE]! },
        ipv4: protoMix(this.ipv4Protos),
        ipv6: protoMix(this.ipv6Protos),
        vlanTagged: v[C.VLAN_TAGGED]!,
        fragments: v[C.FRAGMENTS]!,
        icmpErrors: v[C.ICMP_ERRORS]!,
      },
      flows: this.flows.count(),
      decodeEvents: events,
      checksums: {
        ipv4Header: { checked: v[C.IPV4_CSUM_CHECKED]!, bad: v[C.IPV4_CSUM_BAD]! },
        l4: { checked: v[C.L4_CSUM_CHECKED]!, bad: v[C.L4_CSUM_BAD]!, none: v[C.L4_CSUM_NONE]!, unverifiable: v[C.L4_CSUM_UNVERIFIABLE]!, partial: v[C.L4_CSUM_PARTIAL]! },
      },
    };
  }
}

function protoMix(counts: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  const order: number[] = [];
  for (let p = 0; p < 256; p++) if (counts[p]! > 0) order.push(p);
  order.sort((a, b) => counts[b]! - counts[a]! || a - b);
  for (const p of order) out[ipProtoName(p)] = counts[p]!;
  return out;
}

/** The total over several files' stats; `flows` is the count of their union (a FlowSet fed by every file). */
export function mergeStats(all: readonly InspectStats[], flows: FlowCount): InspectStats {
  const sum = (f: (s: InspectStats) => number): number => all.reduce((a, s) => a + f(s), 0);
  const addRec = (pick: (s: InspectStats) => Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const s of all) for (const [k, n] of Object.entries(pick(s))) out[k] = (out[k] ?? 0) + n;
    return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
  };
  const lts = new Map<number, InspectLinkType>();
  for (const s of all) {
    for (const lt of s.linkTypes) {
      const cur = lts.get(lt.linkType);
      lts.set(lt.linkType, cur ? { ...cur, packets: cur.packets + lt.packets } : { ...lt });
    }
  }
  const events: Record<string, InspectEvent> = {};
  for (const s of all) {
    for (const [k, e] of Object.entries(s.decodeEvents)) {
      const cur = events[k];
      events[k] = cur ? { ...cur, count: cur.count + e.count } : { ...e };
    }
  }
  let start: InspectTime | null = null;
  let end: InspectTime | null = null;
  for (const s of all) {
    if (s.time.start && (start === null || compareTime(s.time.start.sec, s.time.start.nsec, start) < 0)) start = s.time.start;
    if (s.time.end && (end === null || compareTime(s.time.end.sec, s.time.end.nsec, end) > 0)) end = s.time.end;
  }
  const diff = timeDiff(start, end);
  return {
    packets: sum((s) => s.packets),
    bytes: { wire: sum((s) => s.bytes.wire), captured: sum((s) => s.bytes.captured) },
    snappedPackets: sum((s) => s.snappedPackets),
    linkTypes: [...lts.values()].sort((a, b) => a.linkType - b.linkType),
    time: { start, end, duration: diff.text, durationSeconds: diff.seconds, ordered: all.every((s) => s.time.ordered) },
    protocols: {
      l3: {
        ipv4: sum((s) => s.protocols.l3.ipv4),
        ipv6: sum((s) => s.protocols.l3.ipv6),
        arp: sum((s) => s.protocols.l3.arp),
        other: sum((s) => s.protocols.l3.other),
        none: sum((s) => s.protocols.l3.none),
      },
      ipv4: addRec((s) => s.protocols.ipv4),
      ipv6: addRec((s) => s.protocols.ipv6),
      vlanTagged: sum((s) => s.protocols.vlanTagged),
      fragments: sum((s) => s.protocols.fragments),
      icmpErrors: sum((s) => s.protocols.icmpErrors),
    },
    flows,
    decodeEvents: events,
    checksums: {
      ipv4Header: { checked: sum((s) => s.checksums.ipv4Header.checked), bad: sum((s) => s.checksums.ipv4Header.bad) },
      l4: {
        checked: sum((s) => s.checksums.l4.checked),
        bad: sum((s) => s.checksums.l4.bad),
        none: sum((s) => s.checksums.l4.none),
        unverifiable: sum((s) => s.checksums.l4.unverifiable),
        partial: sum((s) => s.checksums.l4.partial),
      },
    },
  };
}

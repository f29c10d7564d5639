// Where a replay's results go while it runs: one pcap per interface that sent frames (tx/<iface>.pcap,
// Ethernet, nanosecond timestamps), drops.pcapng with a comment per dropped packet naming the rule or the
// kernel's reason, and the event log the report summarises (NAT bindings, MSS rewrites, LOG targets).
// Every file is written to a temporary name and renamed when the run completes (abort() removes them).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PcapWriter } from '../capture/pcap-writer.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { LinkType } from '../capture/types.js';
import type { Host } from '../host/host.js';
import { putBe16, putBe32 } from '../util/bytes.js';
import { formatIpv4 } from '../util/ipv4.js';
import { HOOK_NAMES, NONE } from '../netfilter/skb.js';
import type { DatapathSink, DropInfo } from '../netfilter/path/sink.js';
import { DatapathEvent } from '../netfilter/path/sink.js';
import type { Pkt } from '../netfilter/path/pkt.js';

/** Cap on the itemised lists of report.json (totals are always complete). */
export const REPORT_LIST_CAP = 10000;

export interface MssRewrite {
  packet: number;
  flow: string;
  before: number | null;
  after: number;
}

export interface NatBindingRecord {
  packet: number;
  manip: 'SRC' | 'DST';
  flow: string;
}

export interface LogRecord {
  packet: number;
  hook: string;
  prefix: string;
  flow: string;
}

export interface DropRecord {
  packet: number;
  code: string;
  detail: string;
  hook: string;
  flow: string;
}

/** Converts virtual ns to absolute capture timestamps. */
export interface Clock {
  baseSec: number;
  baseNsec: number;
}

export class ReplayOutputs implements DatapathSink {
  private readonly writers = new Map<number, PcapWriter>();
  readonly txPackets = new Map<number, number>();
  private readonly drops: PcapngWriter;
  private readonly dropIfaces = new Map<number, number>();
  readonly dropList: DropRecord[] = [];
  readonly mss: MssRewrite[] = [];
  mssTotal = 0;
  readonly nat: NatBindingRecord[] = [];
  natTotal = 0;
  readonly logs: LogRecord[] = [];
  logTotal = 0;
  answers = 0;
  deliveredToSockets = 0;
  reassembled = 0;
  private readonly frame = new Uint8Array(65536 + 64);

  constructor(
    private readonly outDir: string,
    private readonly host: Host,
    private readonly clock: Clock,
    /** Write tx/<iface>.pcap (false: frames are only counted). */
    private readonly writeTx: boolean,
  ) {
    fs.mkdirSync(path.join(outDir, 'tx'), { recursive: true });
    this.drops = new PcapngWriter(path.join(outDir, 'drops.pcapng'), { comment: 'packets nfreplay dropped, each with the rule or reason' });
  }

  private ts(tNs: number): [number, number] {
    const total = this.clock.baseNsec + tNs;
    const sec = this.clock.baseSec + Math.floor(total / 1e9);
    const nsec = Math.round(total - Math.floor(total / 1e9) * 1e9);
    return nsec >= 1e9 ? [sec + 1, nsec - 1e9] : [sec, nsec];
  }

  tx(dev: number, buf: Uint8Array, off: number, len: number, tNs: number): void {
    if (!this.writeTx) {
      this.txPackets.set(dev, (this.txPackets.get(dev) ?? 0) + 1);
      return;
    }
    let w = this.writers.get(dev);
    if (w === undefined) {
      w = new PcapWriter(path.join(this.outDir, 'tx', `${this.host.iface(dev).name}.pcap`), { linkType: LinkType.ETHERNET, nanosecond: true });
      this.writers.set(dev, w);
      this.txPackets.set(dev, 0);
    }
    const [s, ns] = this.ts(tNs);
    w.writePacket(buf, off, len, len, s, ns);
    this.txPackets.set(dev, this.txPackets.get(dev)! + 1);
  }

  drop(p: Pkt, info: DropInfo, tNs: number): void {
    const dev = p.dev !== NONE ? p.dev : p.iif;
    let ifId = this.dropIfaces.get(dev);
    if (ifId === undefined) {
      ifId = this.drops.addInterface({ linkType: LinkType.ETHERNET, name: dev >= 0 ? this.host.iface(dev).name : 'unknown', tsResolution: 'ns' });
      this.dropIfaces.set(dev, ifId);
    }
    const hook = info.hook >= 0 ? HOOK_NAMES[info.hook]! : '';
    const comment = `packet ${p.index}: ${info.detail !== '' ? info.detail : info.code}${hook !== '' && !info.detail.includes(':') ? ` (${hook})` : ''} [${info.code}]`;
    const [s, ns] = this.ts(tNs);
    const len = this.frameOf(p);
    this.drops.writePacket(ifId, this.frame, 0, len, len, s, ns, 1, comment);
    if (this.dropList.length < REPORT_LIST_CAP) this.dropList.push({ packet: p.index, code: info.code, detail: info.detail, hook, flow: flowText(p) });
  }

  /** The packet as an Ethernet frame in the scratch buffer (IP packets; other frames as captured). */
  private frameOf(p: Pkt): number {
    const m = p.meta;
    const f = this.frame;
    putBe16(f, 0, p.dstMacHi);
    putBe32(f, 2, p.dstMacLo);
    putBe16(f, 6, p.srcMacHi);
    putBe32(f, 8, p.srcMacLo);
    putBe16(f, 12, m.etherType !== 0 ? m.etherType : 0x0800);
    const start = m.l3Off >= 0 ? m.l3Off : m.frameOff;
    const avail = m.frameOff + m.caplen - start;
    const n = Math.max(0, Math.min(m.ipTotalLen > 0 ? m.ipTotalLen : avail, avail, f.length - 14));
    f.set(p.buf.subarray(start, start + n), 14);
    return 14 + n;
  }

  event(kind: number, p: Pkt, a: number, b: number, text: string): void {
    switch (kind) {
      case DatapathEvent.MSS_REWRITE:
        this.mssTotal++;
        if (this.mss.length < REPORT_LIST_CAP) this.mss.push({ packet: p.index, flow: flowText(p), before: a < 0 ? null : a, after: b });
        return;
      case DatapathEvent.NAT_BINDING:
        this.natTotal++;
        if (this.nat.length < REPORT_LIST_CAP) this.nat.push({ packet: p.index, manip: a === 0 ? 'SRC' : 'DST', flow: flowText(p) });
        return;
      case DatapathEvent.LOG:
        this.logTotal++;
        if (this.logs.length < REPORT_LIST_CAP) this.logs.push({ packet: p.index, hook: HOOK_NAMES[p.hook] ?? '', prefix: text, flow: flowText(p) });
        return;
      case DatapathEvent.ANSWER:
        this.answers++;
        return;
      case DatapathEvent.DELIVERED:
        this.deliveredToSockets++;
        return;
      case DatapathEvent.REASSEMBLED:
        this.reassembled++;
        return;
    }
  }

  /** Finish every file (rename into place). */
  commit(): void {
    for (const w of this.writers.values()) w.close();
    this.drops.close();
  }

  /** Remove every partial file. */
  abort(): void {
    for (const w of this.writers.values()) w.abort();
    this.drops.abort();
  }

  /** Frames per interface name. */
  txSummary(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [dev, n] of [...this.txPackets.entries()].sort((a, b) => a[0] - b[0])) out[this.host.iface(dev).name] = n;
    return out;
  }
}

/** "tcp 172.17.0.2:5000 -> 198.51.100.10:80" for reports (not hot). */
export function flowText(p: Pkt): string {
  const m = p.meta;
  const proto = m.ipProto === 6 ? 'tcp' : m.ipProto === 17 ? 'udp' : m.ipProto === 1 ? 'icmp' : `proto ${m.ipProto}`;
  if (m.l4Off >= 0 && (m.ipProto === 6 || m.ipProto === 17)) return `${proto} ${formatIpv4(m.saddr)}:${m.sport} -> ${formatIpv4(m.daddr)}:${m.dport}`;
  if (m.ipProto === 1 && m.l4Off >= 0) return `${proto} ${formatIpv4(m.saddr)} -> ${formatIpv4(m.daddr)} type ${m.icmpType} code ${m.icmpCode}${m.icmpType === 0 || m.icmpType === 8 ? ` id ${m.icmpId}` : ''}`;
  return `${proto} ${formatIpv4(m.saddr)} -> ${formatIpv4(m.daddr)}`;
}

// The conntrack engine: nf_conntrack_in (ipv4_conntrack_in/_local), resolve_normal_ct, init_conntrack
// with early_drop, the ICMP error path (nf_conntrack_inet_error), L4 tracker dispatch
// (nf_conntrack_handle_packet), __nf_ct_refresh_acct, and the entry accessors of api.ts.
// Confirmation and clashes live in confirm.ts, dumps in dump.ts.

import { IpProto, L3 } from '../../decode/meta.js';
import { CtInfo, CtStatus, CtTmpl, Hook, NONE, Verdict } from '../skb.js';
import type { HookNumber, Skb } from '../skb.js';
import type { ConntrackApi, ConntrackOptions, CtEntryDump, Viewer } from './api.js';
import { CtStat, TcpState } from './api.js';
import { CtConfig } from './config.js';
import { confirmSkb } from './confirm.js';
import { dumpEntries } from './dump.js';
import {
  F_CREATE_NS,
  F_PKTS_O,
  F_STRIDE,
  R_CREATE_VCPU,
  R_KILL_VCPU,
  R_OSRC,
  R_PROTO,
  R_RSRC,
  R_STATE,
  R_STRIDE,
  R_ZONE,
  RecState,
  SEEN_END,
  V_MARK,
  V_SEEN,
  V_STATUS,
  V_STRIDE,
  V_TCP_STATE,
  VF_DEADLINE,
  VF_STRIDE,
} from './layout.js';
import { Lifecycle } from './lifecycle.js';
import { Lookup } from './lookup.js';
import { packetTuple } from './packet-tuple.js';
import { IcmpErr, icmpErrorTuple, icmpPacket } from './proto-icmp.js';
import { tcpPacket, tcpSetClosing } from './proto-tcp.js';
import { genericPacket, grePacket, udpPacket } from './proto-udp.js';
import { CtStats } from './stats.js';
import { CtTable } from './table.js';
import type { TrackerHost } from './tracker.js';
import { TrackRet } from './tracker.js';
import { Tuple, invertTuple, packZone, zoneIdFor } from './tuple.js';
import { Versions } from './versions.js';

/** init_conntrack results besides an entry index. */
const INIT_NO_CT = -1;
const INIT_NOMEM = -2;

export class Conntrack implements ConntrackApi, TrackerHost {
  readonly cfg: CtConfig;
  readonly table: CtTable;
  readonly ver: Versions;
  readonly life: Lifecycle;
  readonly look: Lookup;
  readonly stats: CtStats;
  readonly R: Int32Array;
  readonly F: Float64Array;
  readonly V: Int32Array;
  readonly VF: Float64Array;
  readonly cpus: number;
  readonly capacity: number;
  /** Scratch tuples (one packet at a time per instance). */
  readonly tuple: Tuple;
  readonly tuple2: Tuple;

  constructor(opts: ConntrackOptions = {}) {
    this.cfg = new CtConfig(opts);
    this.table = new CtTable(this.cfg.capacity, this.cfg.buckets, this.cfg.cpus, this.cfg.seed);
    this.ver = new Versions(this.table, this.cfg.cpus, this.cfg.serviceNs);
    this.life = new Lifecycle(this.table, this.ver, this.cfg.serviceNs);
    this.look = new Lookup(this.table, this.ver, this.life);
    this.stats = new CtStats(this.cfg.cpus);
    this.R = this.table.R;
    this.F = this.table.F;
    this.V = this.table.V;
    this.VF = this.table.VF;
    this.cpus = this.cfg.cpus;
    this.capacity = this.table.cap;
    this.tuple = new Tuple();
    this.tuple2 = new Tuple();
  }

  // --- nf_conntrack_in -------------------------------------------------------------------------------

  /** nf_conntrack_in. HOT. */
  in(skb: Skb, hook: HookNumber): number {
    if (skb.ct !== NONE || skb.untracked !== 0) return Verdict.ACCEPT; // loopback or NOTRACK
    const m = skb.meta;
    if (m.l3 !== L3.IPV4 || m.l3Off < 0) return Verdict.ACCEPT;
    const now = skb.nowNs;
    const cpu = skb.vcpu;
    this.life.reclaimZombies(now);
    this.life.gcStep(now);

    // ipv4_conntrack_local: locally generated fragments (IP_NODEFRAG) are not tracked at all
    if (hook === Hook.LOCAL_OUT && (m.fragOffset !== 0 || m.moreFrags !== 0)) return Verdict.ACCEPT;
    // ipv4_get_l4proto: fragments (not reassembled) and bogus headers cannot be tracked
    if (m.fragOffset !== 0 || m.ipHdrLen < 20 || m.ipHdrLen > m.ipTotalLen) {
      this.stats.inc(cpu, CtStat.INVALID);
      return Verdict.ACCEPT;
    }
    if (m.ipProto === IpProto.ICMP) {
      const r = icmpErrorTuple(m, hook, this.cfg.checksum, this.tuple);
      if (r === IcmpErr.BAD) {
        this.stats.inc(cpu, CtStat.ERROR);
        return Verdict.ACCEPT;
      }
      if (r === IcmpErr.LOOKUP) {
        this.tuple.zone = templateZone(skb); // icmp_error_message looks the quoted flow up in the template's zone
        this.attachIcmpError(skb);
        return Verdict.ACCEPT;
      }
    }
    // a TCP reopen kills the old entry and resolves again; the killer never sees its victim again
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.resolveNormalCt(skb) < 0) {
        this.stats.inc(cpu, CtStat.DROP); // too stressed to deal
        return Verdict.DROP;
      }
      const ct = skb.ct;
      if (ct === NONE) {
        this.stats.inc(cpu, CtStat.INVALID); // not a valid part of a connection
        return Verdict.ACCEPT;
      }
      const confirmed = this.isConfirmed(ct);
      const slot = confirmed ? this.ver.beginTrack(ct, cpu, now) : ct;
      const dir = skb.ctInfo >= CtInfo.ESTABLISHED_REPLY ? 1 : 0;
      const ret = this.handlePacket(ct, slot, skb, dir, hook);
      if (ret > 0 && skb.ctInfo === CtInfo.ESTABLISHED_REPLY) this.V[slot * V_STRIDE + V_STATUS] = this.V[slot * V_STRIDE + V_STATUS]! | CtStatus.SEEN_REPLY;
      if (confirmed) this.ver.commitTrack(ct, cpu, now);
      if (ret <= 0) {
        this.put(skb);
        if (ret === TrackRet.REPEAT) continue;
        this.stats.inc(cpu, CtStat.INVALID);
        if (ret === TrackRet.DROP) {
          this.stats.inc(cpu, CtStat.DROP);
          return Verdict.DROP;
        }
        return Verdict.ACCEPT;
      }
      this.syncSkb(skb);
      return Verdict.ACCEPT;
    }
    this.stats.inc(cpu, CtStat.INVALID);
    return Verdict.ACCEPT;
  }

  /** resolve_normal_ct: attach an existing or new entry; -1 when the table is full. HOT. */
  private resolveNormalCt(skb: Skb): number {
    const tu = this.tuple;
    if (!packetTuple(skb.meta, tu)) return 0;
    tu.zone = templateZone(skb);
    const cpu = skb.vcpu;
    const now = skb.nowNs;
    const link = this.look.find(tu, cpu, now);
    let ct: number;
    let ctinfo: number;
    if (link !== 0) {
      ct = (link - 1) >> 1;
      if (((link - 1) & 1) === 1) ctinfo = CtInfo.ESTABLISHED_REPLY;
      else {
        const status = this.V[this.ver.view(ct, cpu, now) * V_STRIDE + V_STATUS]!;
        // once we've had two-way communication, always ESTABLISHED
        ctinfo = (status & CtStatus.SEEN_REPLY) !== 0 ? CtInfo.ESTABLISHED : (status & CtStatus.EXPECTED) !== 0 ? CtInfo.RELATED : CtInfo.NEW;
      }
    } else {
      ct = this.initConntrack(skb, tu);
      if (ct === INIT_NO_CT) return 0;
      if (ct === INIT_NOMEM) return -1;
      ctinfo = CtInfo.NEW;
    }
    skb.ct = ct;
    skb.ctInfo = ctinfo;
    return 0;
  }

  /** init_conntrack + __nf_conntrack_alloc: a new unconfirmed entry (reply = inverted tuple). HOT. */
  private initConntrack(skb: Skb, tu: Tuple): number {
    const repl = this.tuple2;
    if (!invertTuple(tu, repl)) return INIT_NO_CT;
    const cpu = skb.vcpu;
    const now = skb.nowNs;
    const t = this.table;
    if (this.cfg.max !== 0 && t.count() + 1 > this.cfg.max) {
      const drops = this.look.earlyDrop(t.bucketOf(tu.src, tu.dst, tu.sport, tu.dport, tu.proto, zoneIdFor(tu.zone, 0)), cpu, now);
      if (drops === 0) return INIT_NOMEM; // "nf_conntrack: table full, dropping packet"
      this.stats.add(cpu, CtStat.EARLY_DROP, drops);
    }
    const idx = t.alloc();
    if (idx < 0) return INIT_NOMEM;
    const R = this.R;
    const b = idx * R_STRIDE;
    R[b + R_STATE] = RecState.UNCONFIRMED;
    R[b + R_PROTO] = tu.proto;
    R[b + R_ZONE] = tu.zone | 0;
    R[b + R_OSRC] = tu.src | 0;
    R[b + R_OSRC + 1] = tu.dst | 0;
    R[b + R_OSRC + 2] = tu.sport;
    R[b + R_OSRC + 3] = tu.dport;
    R[b + R_RSRC] = repl.src | 0;
    R[b + R_RSRC + 1] = repl.dst | 0;
    R[b + R_RSRC + 2] = repl.sport;
    R[b + R_RSRC + 3] = repl.dport;
    R[b + R_CREATE_VCPU] = cpu;
    R[b + R_KILL_VCPU] = -1;
    this.F[idx * F_STRIDE + F_CREATE_NS] = now;
    return idx;
  }

  /** nf_conntrack_inet_error after the tuple was built: attach the quoted flow as RELATED(_REPLY). HOT. */
  private attachIcmpError(skb: Skb): void {
    const m = skb.meta;
    const link = this.look.find(this.tuple, skb.vcpu, skb.nowNs);
    if (link === 0) {
      this.stats.inc(skb.vcpu, CtStat.ERROR);
      return;
    }
    const ct = (link - 1) >> 1;
    const dir = (link - 1) & 1;
    // the found direction's destination must be the outer destination (else a bogus RELATED)
    if (this.R[ct * R_STRIDE + R_OSRC + dir * 4 + 1] !== (m.daddr | 0)) {
      this.stats.inc(skb.vcpu, CtStat.ERROR);
      return;
    }
    skb.ct = ct;
    skb.ctInfo = dir === 1 ? CtInfo.RELATED_REPLY : CtInfo.RELATED;
    this.syncSkb(skb);
  }

  /** nf_conntrack_handle_packet: dispatch to the L4 tracker. HOT. */
  private handlePacket(ct: number, slot: number, skb: Skb, dir: number, hook: number): number {
    switch (this.R[ct * R_STRIDE + R_PROTO]) {
      case IpProto.TCP:
        return tcpPacket(this, ct, slot, skb, dir, hook);
      case IpProto.UDP:
      case IpProto.UDPLITE:
        return udpPacket(this, ct, slot, skb, dir, hook);
      case IpProto.ICMP:
        return icmpPacket(this, this.R, ct, slot, skb, dir);
      case IpProto.GRE:
        return grePacket(this, ct, slot, skb, dir);
      default:
        return genericPacket(this, ct, slot, skb, dir);
    }
  }

  /** nf_ct_put + skb->_nfct = 0: detach; an unconfirmed entry loses its only reference and is freed. HOT. */
  private put(skb: Skb): void {
    const ct = skb.ct;
    if (ct !== NONE && !this.isConfirmed(ct)) this.life.unlinkAndFree(ct, true);
    skb.ct = NONE;
    skb.ctInfo = 0;
    this.syncSkb(skb);
  }

  // --- TrackerHost -------------------------------------------------------------------------------------

  isConfirmed(ct: number): boolean {
    return (this.V[ct * V_STRIDE + V_STATUS]! & CtStatus.CONFIRMED) !== 0;
  }

  refreshAcct(ct: number, slot: number, dir: number, skb: Skb, timeoutNs: number): void {
    if ((this.V[slot * V_STRIDE + V_STATUS]! & CtStatus.FIXED_TIMEOUT) === 0) {
      this.VF[slot * VF_STRIDE + VF_DEADLINE] = this.isConfirmed(ct) ? skb.nowNs + timeoutNs : timeoutNs;
    }
    this.acct(ct, dir, 1, skb.meta.ipTotalLen);
  }

  killAcct(ct: number, dir: number, skb: Skb): void {
    this.acct(ct, dir, 1, skb.meta.ipTotalLen);
    this.kill(ct, skb);
  }

  kill(ct: number, writer: Viewer): boolean {
    return this.life.kill(ct, writer.vcpu, writer.nowNs);
  }

  /** nf_ct_acct_update (nf_conntrack_acct=1 only). HOT. */
  acct(ct: number, dir: number, packets: number, bytes: number): void {
    if (!this.cfg.acct) return;
    const i = ct * F_STRIDE + F_PKTS_O + dir * 2;
    this.F[i] = this.F[i]! + packets;
    this.F[i + 1] = this.F[i + 1]! + bytes;
  }

  acctCounter(ct: number, dir: number, bytes: boolean): number {
    if (!this.cfg.acct) return -1;
    return this.F[ct * F_STRIDE + F_PKTS_O + dir * 2 + (bytes ? 1 : 0)]!;
  }

  // --- confirm, release, attach, snapshots -------------------------------------------------------------

  confirm(skb: Skb, finishNs: number): number {
    return confirmSkb(this, skb, finishNs);
  }

  release(skb: Skb): void {
    if (skb.ct === NONE) return;
    this.put(skb);
  }

  /** The version slot `viewer` reads for `ct` (the entry itself while unconfirmed). HOT. */
  slotFor(ct: number, viewer: Viewer): number {
    return this.isConfirmed(ct) ? this.ver.view(ct, viewer.vcpu, viewer.nowNs) : ct;
  }

  syncSkb(skb: Skb): void {
    const ct = skb.ct;
    if (ct === NONE) {
      skb.ctStatus = 0;
      skb.ctMark = 0;
      skb.ctProto = 0;
      skb.ctOrigSrc = 0;
      skb.ctOrigDst = 0;
      skb.ctOrigSport = 0;
      skb.ctOrigDport = 0;
      skb.ctReplSrc = 0;
      skb.ctReplDst = 0;
      skb.ctReplSport = 0;
      skb.ctReplDport = 0;
      skb.ctExpiresNs = 0;
      return;
    }
    const R = this.R;
    const b = ct * R_STRIDE;
    const slot = this.slotFor(ct, skb);
    skb.ctStatus = this.V[slot * V_STRIDE + V_STATUS]!;
    skb.ctMark = this.V[slot * V_STRIDE + V_MARK]! >>> 0;
    skb.ctProto = R[b + R_PROTO]!;
    skb.ctOrigSrc = R[b + R_OSRC]! >>> 0;
    skb.ctOrigDst = R[b + R_OSRC + 1]! >>> 0;
    skb.ctOrigSport = R[b + R_OSRC + 2]!;
    skb.ctOrigDport = R[b + R_OSRC + 3]!;
    skb.ctReplSrc = R[b + R_RSRC]! >>> 0;
    skb.ctReplDst = R[b + R_RSRC + 1]! >>> 0;
    skb.ctReplSport = R[b + R_RSRC + 2]!;
    skb.ctReplDport = R[b + R_RSRC + 3]!;
    // nf_ct_expires: an unconfirmed entry holds its timeout relative, which reads as already past (0 left)
    skb.ctExpiresNs = this.isConfirmed(ct) ? this.expiresNs(ct, skb) : 0;
  }

  attach(skb: Skb, ct: number, ctinfo: number): void {
    skb.ct = ct;
    skb.ctInfo = ctinfo;
    this.syncSkb(skb);
  }

  attachReverse(nskb: Skb, skb: Skb): void {
    if (skb.ct === NONE) return;
    this.attach(nskb, skb.ct, skb.ctInfo >= CtInfo.ESTABLISHED_REPLY ? CtInfo.RELATED : CtInfo.RELATED_REPLY);
  }

  // --- accessors ---------------------------------------------------------------------------------------

  status(ct: number, viewer: Viewer): number {
    return this.V[this.slotFor(ct, viewer) * V_STRIDE + V_STATUS]!;
  }

  mark(ct: number, viewer: Viewer): number {
    return this.V[this.slotFor(ct, viewer) * V_STRIDE + V_MARK]! >>> 0;
  }

  /** Make `ct` writable for `writer` (a new version once confirmed). HOT. */
  private writable(ct: number, writer: Viewer): void {
    if (this.isConfirmed(ct)) this.ver.beginWrite(ct, writer.vcpu, writer.nowNs);
  }

  setMark(ct: number, mark: number, writer: Viewer): void {
    this.writable(ct, writer);
    this.V[ct * V_STRIDE + V_MARK] = mark | 0;
  }

  setStatusBits(ct: number, bits: number, writer: Viewer): void {
    this.writable(ct, writer);
    this.V[ct * V_STRIDE + V_STATUS] = this.V[ct * V_STRIDE + V_STATUS]! | bits;
  }

  proto(ct: number): number {
    return this.R[ct * R_STRIDE + R_PROTO]!;
  }

  tcpState(ct: number, viewer: Viewer): number {
    if (this.R[ct * R_STRIDE + R_PROTO] !== IpProto.TCP) return TcpState.NONE;
    return this.V[this.slotFor(ct, viewer) * V_STRIDE + V_TCP_STATE]!;
  }

  getTuple(ct: number, dir: number, out: Tuple): Tuple {
    const b = ct * R_STRIDE + R_OSRC + (dir === 0 ? 0 : 4);
    const R = this.R;
    out.zone = R[ct * R_STRIDE + R_ZONE]! >>> 0;
    return out.set(R[b]! >>> 0, R[b + 1]! >>> 0, R[b + 2]!, R[b + 3]!, R[ct * R_STRIDE + R_PROTO]!);
  }

  expiresNs(ct: number, viewer: Viewer): number {
    const d = this.VF[this.slotFor(ct, viewer) * VF_STRIDE + VF_DEADLINE]!;
    return this.isConfirmed(ct) ? d : viewer.nowNs + d;
  }

  setTcpClose(ct: number, writer: Viewer): void {
    if (!this.isConfirmed(ct) || this.R[ct * R_STRIDE + R_PROTO] !== IpProto.TCP) return;
    this.ver.beginWrite(ct, writer.vcpu, writer.nowNs);
    const d = tcpSetClosing(this.V, ct * V_STRIDE, writer.nowNs, this.cfg.tcpTimeouts[TcpState.CLOSE]!);
    if (d >= 0) this.VF[ct * VF_STRIDE + VF_DEADLINE] = d;
  }

  // --- NAT -----------------------------------------------------------------------------------------------

  tupleTaken(tuple: Tuple, ignoredCt: number, viewer: Viewer): boolean {
    if (!this.look.taken(tuple, ignoredCt, viewer.vcpu, viewer.nowNs)) return false;
    this.stats.inc(viewer.vcpu, CtStat.FOUND);
    return true;
  }

  setReplyTuple(ct: number, reply: Tuple): void {
    if (this.isConfirmed(ct)) return; // nf_nat_setup_info works on unconfirmed entries only
    const b = ct * R_STRIDE + R_RSRC;
    this.R[b] = reply.src | 0;
    this.R[b + 1] = reply.dst | 0;
    this.R[b + 2] = reply.sport;
    this.R[b + 3] = reply.dport;
  }

  bySourceAdd(ct: number): void {
    this.table.bySrcInsert(ct);
  }

  bySourceFirst(src: number, sport: number, proto: number, viewer: Viewer): number {
    return this.look.bySource(-1, src, sport, proto, viewer.vcpu, viewer.nowNs);
  }

  bySourceNext(ct: number, src: number, sport: number, proto: number, viewer: Viewer): number {
    return this.look.bySource(ct, src, sport, proto, viewer.vcpu, viewer.nowNs);
  }

  findHash(tuple: Tuple, viewer: Viewer): number {
    return this.look.find(tuple, viewer.vcpu, viewer.nowNs) - 1;
  }

  tcpOrigTdEnd(ct: number, viewer: Viewer): number {
    return this.V[this.slotFor(ct, viewer) * V_STRIDE + V_SEEN + SEEN_END]! >>> 0;
  }

  // --- statistics and dumps --------------------------------------------------------------------------------

  stat(cpu: number, stat: number): number {
    return this.stats.get(cpu, stat);
  }

  count(): number {
    return this.table.count();
  }

  dump(atNs: number): CtEntryDump[] {
    return dumpEntries(this, atNs);
  }

  /** Packets and bytes counted for `ct` in direction `dir`. */
  counters(ct: number, dir: number): { packets: number; bytes: number } {
    const i = ct * F_STRIDE + F_PKTS_O + dir * 2;
    return { packets: this.F[i]!, bytes: this.F[i + 1]! };
  }
}

/**
 * nf_ct_zone_tmpl: the zone the CT target's template gives the packet (packed, see Tuple.zone), the mark's
 * low 16 bits with `--zone mark`; the default zone without a template. HOT.
 */
function templateZone(skb: Skb): number {
  if ((skb.ctTmpl & CtTmpl.ZONE_FROM_MARK) !== 0) return packZone(skb.mark & 0xffff, skb.ctZone >>> 16);
  return skb.ctZone;
}

/** Build a conntrack engine (options validated eagerly; NfError ERR_CT_OPTION on bad values). */
export function createConntrack(opts: ConntrackOptions = {}): Conntrack {
  return new Conntrack(opts);
}

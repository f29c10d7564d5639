// The vCPU visibility model on table records (ARCHITECTURE.md): an entry exists for a viewer (vcpu v, time t)
// when v created it or t ≥ its confirmation time; it is gone when v killed it or t ≥ the killer's finish
// time; its mutable fields are read from the newest version written by v or visible at t. Writers save the
// version they replace in a time-ordered ring of history slots, reclaimed once no viewer can need it.

import {
  F_CREATE_NS,
  F_KILL_NS,
  F_STRIDE,
  F_VISIBLE_NS,
  R_CREATE_VCPU,
  R_HIST,
  R_HIST_SEQ,
  R_KILL_VCPU,
  R_STATE,
  R_STRIDE,
  RecState,
  V_COPY_END,
  V_H_PREV,
  V_H_PREV_SEQ,
  V_H_SEQ,
  V_STATUS,
  V_STRIDE,
  V_WRITER,
  VF_COPY_END,
  VF_DEADLINE,
  VF_STREAM_TS,
  VF_H_EXPIRE,
  VF_STRIDE,
  VF_VISIBLE,
} from './layout.js';
import { CtTable, HDR } from './table.js';

export class Versions {
  readonly t: CtTable;
  readonly cpus: number;
  readonly serviceNs: number;

  constructor(table: CtTable, cpus: number, serviceNs: number) {
    this.t = table;
    this.cpus = cpus;
    this.serviceNs = serviceNs;
  }

  /** Does the entry exist for viewer (v, t): confirmed (or dying) and its insertion visible? HOT. */
  visible(idx: number, v: number, time: number): boolean {
    const R = this.t.R;
    const b = idx * R_STRIDE;
    const st = R[b + R_STATE]!;
    if (st !== RecState.CONFIRMED && st !== RecState.DYING) return false;
    if (R[b + R_CREATE_VCPU] !== v && this.t.F[idx * F_STRIDE + F_VISIBLE_NS]! > time) return false;
    if (st === RecState.DYING && (R[b + R_KILL_VCPU] === v || this.t.F[idx * F_STRIDE + F_KILL_NS]! <= time)) return false;
    return true;
  }

  /** Version slot viewer (v, t) reads: the current one, or the newest saved one it can see. HOT. */
  view(idx: number, v: number, time: number): number {
    const V = this.t.V;
    const VF = this.t.VF;
    if (V[idx * V_STRIDE + V_WRITER] === v || VF[idx * VF_STRIDE + VF_VISIBLE]! <= time) return idx;
    const R = this.t.R;
    const cap = this.t.cap;
    let h = R[idx * R_STRIDE + R_HIST]!;
    let seq = R[idx * R_STRIDE + R_HIST_SEQ]!;
    let best = idx;
    while (h !== 0) {
      const slot = cap + h - 1;
      if (V[slot * V_STRIDE + V_H_SEQ] !== seq) break; // reclaimed: nobody needed it any more
      best = slot;
      if (V[slot * V_STRIDE + V_WRITER] === v || VF[slot * VF_STRIDE + VF_VISIBLE]! <= time) return slot;
      h = V[slot * V_STRIDE + V_H_PREV]!;
      seq = V[slot * V_STRIDE + V_H_PREV_SEQ]!;
    }
    return best;
  }

  /** Is the version in `slot` expired at `time` (lazy expiry: now > last refresh + timeout)? HOT. */
  expired(slot: number, time: number): boolean {
    return time > this.t.VF[slot * VF_STRIDE + VF_DEADLINE]!;
  }

  /**
   * Latest deadline over the current version and every saved version some viewer may still read: an
   * entry may be reaped at `now` only when `now` is past this for everyone.
   */
  latestDeadline(idx: number): number {
    const V = this.t.V;
    const VF = this.t.VF;
    const R = this.t.R;
    let d = VF[idx * VF_STRIDE + VF_DEADLINE]!;
    let h = R[idx * R_STRIDE + R_HIST]!;
    let seq = R[idx * R_STRIDE + R_HIST_SEQ]!;
    while (h !== 0) {
      const slot = this.t.cap + h - 1;
      if (V[slot * V_STRIDE + V_H_SEQ] !== seq) break;
      const x = VF[slot * VF_STRIDE + VF_DEADLINE]!;
      if (x > d) d = x;
      h = V[slot * V_STRIDE + V_H_PREV]!;
      seq = V[slot * V_STRIDE + V_H_PREV_SEQ]!;
    }
    return d;
  }

  /**
   * A packet on vCPU v that started at s is about to change confirmed entry `idx` in place: the current
   * version is saved for viewers on other vCPUs before s + c, and becomes the writer's. Idempotent within
   * one packet. Callers then write single fields, so changes other vCPUs made meanwhile are kept. HOT.
   */
  beginWrite(idx: number, v: number, s: number): void {
    const V = this.t.V;
    const VF = this.t.VF;
    const f = s + this.serviceNs;
    const vb = idx * V_STRIDE;
    const vfb = idx * VF_STRIDE;
    if (this.cpus === 1) {
      V[vb + V_WRITER] = v;
      VF[vfb + VF_VISIBLE] = f;
      return;
    }
    const prevVisible = VF[vfb + VF_VISIBLE]!;
    if (V[vb + V_WRITER] === v && prevVisible === f) return;
    const slot = this.histAlloc(s);
    if (slot >= 0) {
      const R = this.t.R;
      const sb = slot * V_STRIDE;
      V.copyWithin(sb, vb, vb + V_COPY_END);
      VF.copyWithin(slot * VF_STRIDE, vfb, vfb + VF_COPY_END);
      V[sb + V_H_PREV] = R[idx * R_STRIDE + R_HIST]!;
      V[sb + V_H_PREV_SEQ] = R[idx * R_STRIDE + R_HIST_SEQ]!;
      VF[slot * VF_STRIDE + VF_H_EXPIRE] = f;
      R[idx * R_STRIDE + R_HIST] = slot - this.t.cap + 1;
      R[idx * R_STRIDE + R_HIST_SEQ] = V[sb + V_H_SEQ]!;
    }
    V[vb + V_WRITER] = v;
    VF[vfb + VF_VISIBLE] = f > prevVisible ? f : prevVisible;
  }

  /**
   * Start tracking a packet (v, s) on confirmed entry `idx`: copy the version the packet sees into the
   * scratch slots and return the WORK slot for the tracker. With one CPU the entry itself is returned. HOT.
   */
  beginTrack(idx: number, v: number, s: number): number {
    if (this.cpus === 1) {
      this.beginWrite(idx, v, s);
      return idx;
    }
    const seen = this.view(idx, v, s);
    const base = this.t.scratch;
    const V = this.t.V;
    const VF = this.t.VF;
    for (let k = 0; k < 2; k++) {
      V.copyWithin((base + k) * V_STRIDE, seen * V_STRIDE, seen * V_STRIDE + V_COPY_END);
      VF.copyWithin((base + k) * VF_STRIDE, seen * VF_STRIDE, seen * VF_STRIDE + VF_COPY_END);
    }
    return base + 1;
  }

  /**
   * Finish tracking on `idx`: the fields the tracker changed in the WORK slot (compared with BASE) are
   * written into the entry's current version as a new version by (v, s); status bits merge bit by bit.
   * Nothing is written when the tracker changed nothing. HOT.
   */
  commitTrack(idx: number, v: number, s: number): void {
    if (this.cpus === 1) return;
    const V = this.t.V;
    const VF = this.t.VF;
    const bb = this.t.scratch * V_STRIDE;
    const wb = bb + V_STRIDE;
    let changed = false;
    for (let i = 0; i < V_WRITER; i++) {
      if (V[wb + i] !== V[bb + i]) {
        changed = true;
        break;
      }
    }
    const bfb = this.t.scratch * VF_STRIDE;
    const wfb = bfb + VF_STRIDE;
    if (!changed) changed = VF[wfb + VF_DEADLINE] !== VF[bfb + VF_DEADLINE] || VF[wfb + VF_STREAM_TS] !== VF[bfb + VF_STREAM_TS];
    if (!changed) return;
    this.beginWrite(idx, v, s);
    const vb = idx * V_STRIDE;
    const diff = V[wb + V_STATUS]! ^ V[bb + V_STATUS]!;
    V[vb + V_STATUS] = (V[vb + V_STATUS]! & ~diff) | (V[wb + V_STATUS]! & diff);
    for (let i = 0; i < V_WRITER; i++) {
      if (i !== V_STATUS && V[wb + i] !== V[bb + i]) V[vb + i] = V[wb + i]!;
    }
    const vfb = idx * VF_STRIDE;
    if (VF[wfb + VF_DEADLINE] !== VF[bfb + VF_DEADLINE]) VF[vfb + VF_DEADLINE] = VF[wfb + VF_DEADLINE]!;
    if (VF[wfb + VF_STREAM_TS] !== VF[bfb + VF_STREAM_TS]) VF[vfb + VF_STREAM_TS] = VF[wfb + VF_STREAM_TS]!;
  }

  /** Hand out a history slot, first reclaiming those no viewer at or after `now` can need. */
  private histAlloc(now: number): number {
    const n = this.t.histSlots;
    if (n === 0) return -1;
    const t = this.t;
    let head = t.headerWord(HDR.HIST_HEAD);
    const tail = t.headerWord(HDR.HIST_TAIL);
    const cap = t.cap;
    while (head !== tail && t.VF[(cap + head) * VF_STRIDE + VF_H_EXPIRE]! <= now) {
      t.V[(cap + head) * V_STRIDE + V_H_SEQ] = 0;
      head = (head + 1) % n;
    }
    if ((tail + 1) % n === head) {
      // ring full: drop the oldest saved version (a viewer needing it reads the oldest one left)
      t.V[(cap + head) * V_STRIDE + V_H_SEQ] = 0;
      head = (head + 1) % n;
      t.setHeaderWord(HDR.HIST_OVERFLOW, t.headerWord(HDR.HIST_OVERFLOW) + 1);
    }
    t.setHeaderWord(HDR.HIST_HEAD, head);
    t.setHeaderWord(HDR.HIST_TAIL, (tail + 1) % n);
    let seq = t.headerWord(HDR.HIST_SEQ) + 1;
    if (seq > 0x3fffffff) seq = 1;
    t.setHeaderWord(HDR.HIST_SEQ, seq);
    t.V[(cap + tail) * V_STRIDE + V_H_SEQ] = seq;
    return cap + tail;
  }

  /** Saved versions dropped because the history ring was full (diagnostic). */
  historyOverflows(): number {
    return this.t.headerWord(HDR.HIST_OVERFLOW);
  }

  /** Creation time s of the entry. */
  createdNs(idx: number): number {
    return this.t.F[idx * F_STRIDE + F_CREATE_NS]!;
  }
}

// Entry deletion and reclamation: nf_ct_delete by a packet (the entry stays linked, dying, until the
// killer's finish time so other vCPUs keep seeing it), immediate reaping of expired entries
// (nf_ct_gc_expired), the zombie ring of killed entries, and the bounded GC step run per packet
// (gc_worker's role: scan a few records from a cursor).

import { CtStatus } from '../skb.js';
import {
  F_KILL_NS,
  F_STRIDE,
  R_KILL_VCPU,
  R_STATE,
  R_STRIDE,
  RecState,
  V_STATUS,
  V_STRIDE,
} from './layout.js';
import type { CtTable } from './table.js';
import type { Versions } from './versions.js';

/** Records examined by the GC per processed packet. */
export const GC_STEP = 4;

export class Lifecycle {
  readonly t: CtTable;
  readonly ver: Versions;
  readonly serviceNs: number;

  constructor(table: CtTable, ver: Versions, serviceNs: number) {
    this.t = table;
    this.ver = ver;
    this.serviceNs = serviceNs;
  }

  /** Unlink both tuples and the by-source node, then free the record. */
  unlinkAndFree(idx: number, counted: boolean): void {
    const t = this.t;
    t.linkRemove(idx, 0);
    t.linkRemove(idx, 1);
    t.bySrcRemove(idx);
    t.free(idx, counted);
  }

  /**
   * nf_ct_delete by the packet on vCPU v that started at s. Unconfirmed entries only become dying (confirm
   * then refuses them). Confirmed ones stop counting at once, stay linked for other vCPUs until s + c and
   * are freed later by reclaimZombies. False when the entry was already dying. HOT.
   */
  kill(idx: number, v: number, s: number): boolean {
    const t = this.t;
    const b = idx * R_STRIDE;
    const st = t.R[b + R_STATE]!;
    if (st === RecState.DYING || st === RecState.FREE) return false;
    t.R[b + R_STATE] = RecState.DYING;
    t.R[b + R_KILL_VCPU] = v;
    t.F[idx * F_STRIDE + F_KILL_NS] = s + this.serviceNs;
    t.V[idx * V_STRIDE + V_STATUS] = t.V[idx * V_STRIDE + V_STATUS]! | CtStatus.DYING;
    if (st === RecState.CONFIRMED) {
      t.uncount();
      t.zombiePush(idx);
    }
    return true;
  }

  /** True when a confirmed entry is expired for every viewer at or after `now`. HOT. */
  reapable(idx: number, now: number): boolean {
    return this.t.R[idx * R_STRIDE + R_STATE] === RecState.CONFIRMED && now > this.ver.latestDeadline(idx);
  }

  /** nf_ct_gc_expired: delete an expired entry now (nobody can see it alive any more). */
  reap(idx: number): void {
    this.unlinkAndFree(idx, true);
  }

  /** Free killed entries whose deletion every viewer from `now` on sees. HOT. */
  reclaimZombies(now: number): void {
    const t = this.t;
    for (;;) {
      const z = t.zombiePeek();
      if (z < 0) return;
      if (!(t.F[z * F_STRIDE + F_KILL_NS]! < now)) return;
      t.zombiePop();
      if (t.R[z * R_STRIDE + R_STATE] === RecState.DYING) this.unlinkAndFree(z, false);
    }
  }

  /** One bounded GC step: look at GC_STEP records after the cursor and reap the expired ones. HOT. */
  gcStep(now: number): void {
    const t = this.t;
    const hw = t.highWater();
    if (hw === 0) return;
    let c = t.gcCursor();
    for (let i = 0; i < GC_STEP; i++) {
      if (c >= hw) c = 0;
      if (this.reapable(c, now)) this.reap(c);
      c++;
    }
    t.setGcCursor(c);
  }

  /** The vCPU that killed a dying entry (-1 if none). */
  killer(idx: number): number {
    return this.t.R[idx * R_STRIDE + R_KILL_VCPU]!;
  }
}

// Per-CPU conntrack statistics (struct ip_conntrack_stat, NF_CT_STAT_INC): one row of CT_STAT_COUNT u32
// counters per modeled CPU, wrapping like the kernel's unsigned int. Lives in shared memory so that
// workers executing different vCPUs can each bump their own row without atomics.

import { CT_STAT_COUNT, CT_STAT_NAMES } from './api.js';

export class CtStats {
  readonly cpus: number;
  readonly counters: Uint32Array;

  constructor(cpus: number, buffer?: SharedArrayBuffer) {
    this.cpus = cpus;
    this.counters = buffer !== undefined ? new Uint32Array(buffer, 0, cpus * CT_STAT_COUNT) : new Uint32Array(new SharedArrayBuffer(cpus * CT_STAT_COUNT * 4));
  }

  /** NF_CT_STAT_INC on `cpu`. HOT. */
  inc(cpu: number, stat: number): void {
    this.counters[cpu * CT_STAT_COUNT + stat]++;
  }

  /** NF_CT_STAT_ADD_ATOMIC. HOT. */
  add(cpu: number, stat: number, n: number): void {
    const i = cpu * CT_STAT_COUNT + stat;
    this.counters[i] = (this.counters[i]! + n) >>> 0;
  }

  get(cpu: number, stat: number): number {
    return this.counters[cpu * CT_STAT_COUNT + stat]!;
  }

  /** Sum of one counter over all CPUs (not wrapped: a plain number). */
  total(stat: number): number {
    let s = 0;
    for (let c = 0; c < this.cpus; c++) s += this.counters[c * CT_STAT_COUNT + stat]!;
    return s;
  }

  /** Plain object per CPU, for report.json. */
  toJSON(): Record<string, number>[] {
    const rows: Record<string, number>[] = [];
    for (let c = 0; c < this.cpus; c++) {
      const row: Record<string, number> = { cpu: c };
      for (let k = 0; k < CT_STAT_COUNT; k++) row[CT_STAT_NAMES[k]!] = this.counters[c * CT_STAT_COUNT + k]!;
      rows.push(row);
    }
    return rows;
  }
}

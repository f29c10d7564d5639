// The vCPU model of the determinism contract (ARCHITECTURE.md): packets are steered to N modeled CPUs (RPS
// flow hash or ingress interface); each vCPU serves its packets in arrival order, start s = max(arrival,
// vCPU free), finish f = s + c; events are released in (s, vcpu, arrival) order, only once no packet still
// to be read could start earlier. A per-vCPU backlog mirrors netdev_max_backlog.

import type { Pkt } from '../netfilter/path/pkt.js';

/** netdev_max_backlog: packets waiting per CPU beyond this are dropped on arrival. */
export const MAX_BACKLOG = 1000;

export class VcpuScheduler {
  private readonly free: Float64Array;
  private readonly queues: Pkt[][];
  private readonly heads: number[];
  /** Packets served and busy time per vCPU (ns). */
  readonly served: Float64Array;
  readonly busyNs: Float64Array;
  backlogDrops = 0;

  constructor(
    readonly cpus: number,
    readonly serviceNs: number,
  ) {
    this.free = new Float64Array(cpus).fill(-Infinity);
    this.queues = Array.from({ length: cpus }, () => []);
    this.heads = new Array<number>(cpus).fill(0);
    this.served = new Float64Array(cpus);
    this.busyNs = new Float64Array(cpus);
  }

  /** Queue a packet that arrived at `arrivalNs` for `vcpu`; false when the backlog is full. HOT. */
  push(p: Pkt, vcpu: number, arrivalNs: number): boolean {
    const q = this.queues[vcpu]!;
    if (q.length - this.heads[vcpu]! >= MAX_BACKLOG) {
      this.backlogDrops++;
      return false;
    }
    p.vcpu = vcpu;
    p.nowNs = arrivalNs;
    q.push(p);
    return true;
  }

  /**
   * The next packet to process whose start time is at most `horizonNs`, with nowNs = s and finishNs = f
   * set; null when none can start yet. HOT.
   */
  next(horizonNs: number): Pkt | null {
    let best = -1;
    let bestS = Infinity;
    for (let v = 0; v < this.cpus; v++) {
      const q = this.queues[v]!;
      const h = this.heads[v]!;
      if (h >= q.length) continue;
      const arrival = q[h]!.nowNs;
      const free = this.free[v]!;
      const s = arrival > free ? arrival : free;
      if (s < bestS) {
        bestS = s;
        best = v;
      }
    }
    if (best < 0 || bestS > horizonNs) return null;
    const q = this.queues[best]!;
    const p = q[this.heads[best]!]!;
    this.heads[best]!++;
    if (this.heads[best]! > 1024 && this.heads[best]! * 2 > q.length) {
      q.splice(0, this.heads[best]!);
      this.heads[best] = 0;
    }
    const f = bestS + this.serviceNs;
    this.free[best] = f;
    this.served[best]!++;
    this.busyNs[best]! += this.serviceNs;
    p.nowNs = bestS;
    p.finishNs = f;
    return p;
  }
}

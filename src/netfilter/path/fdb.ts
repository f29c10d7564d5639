// Bridge forwarding databases (net/bridge/br_fdb.c): per bridge, MAC → port learned from the source address
// of frames entering a port (when learning is on), aged after 300 s; the bridge's and its ports' own MACs are
// local entries. Lookups say where a destination MAC lives: a port, the host itself, or unknown (flood).

import { macKey } from '../../util/ipv4.js';

const AGEING_NS = 300e9;

/** fdb lookup answer for a destination MAC. */
export const FDB_LOCAL = -2;
export const FDB_UNKNOWN = -1;

export class BridgeFdb {
  /** MAC key → port id and last-seen time. */
  private readonly ports = new Map<number, number>();
  private readonly seen = new Map<number, number>();
  private readonly local = new Set<number>();

  static key(hi: number, lo: number): number {
    return macKey(hi, lo);
  }

  addLocal(hi: number, lo: number): void {
    this.local.add(BridgeFdb.key(hi, lo));
  }

  /** br_fdb_update: learn `mac` behind `port` (local addresses are never moved to a port). HOT. */
  learn(hi: number, lo: number, port: number, nowNs: number): void {
    const k = BridgeFdb.key(hi, lo);
    if (this.local.has(k)) return;
    if ((hi & 0x0100) !== 0) return; // multicast source: never learned
    this.ports.set(k, port);
    this.seen.set(k, nowNs);
  }

  /** Port id, FDB_LOCAL or FDB_UNKNOWN for a destination MAC. HOT. */
  lookup(hi: number, lo: number, nowNs: number): number {
    const k = BridgeFdb.key(hi, lo);
    if (this.local.has(k)) return FDB_LOCAL;
    const p = this.ports.get(k);
    if (p === undefined) return FDB_UNKNOWN;
    if (nowNs - this.seen.get(k)! > AGEING_NS) {
      this.ports.delete(k);
      this.seen.delete(k);
      return FDB_UNKNOWN;
    }
    return p;
  }
}

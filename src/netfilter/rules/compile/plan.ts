// Which runs of a chain the compiler indexes: maximal sequences of consecutive rules that each require an
// exact destination port (and protocol, and maybe destination address), and whose other tests are free of
// side effects and cannot hotdrop — so that for a packet the index can serve (first fragment, complete
// transport header) the rules outside its candidates could neither match nor change anything.

import type { PacketMeta } from '../../../decode/meta.js';
import type { TableLayout } from '../engine-layout.js';
import type { PlannedRun } from './codegen.js';
import { RunIndex } from './run-index.js';
import type { RuleKey } from './run-index.js';
import { ruleKey } from './keys.js';

/**
 * HOT: can an index serve this TCP/UDP packet: a first fragment whose fixed transport header is there, so
 * that tcp_mt / udp_mt (xt_tcpudp.ts) decide on the ports alone and never hotdrop.
 */
// HOT: allocation-free
export function safeL4(m: PacketMeta): boolean {
  return m.fragOffset === 0 && m.l4Off >= 0 && m.l4Len >= (m.ipProto === 6 ? 20 : 8);
}

/** Indexed runs per chain (chain-relative rule ranges), runs of at least `minRun` rules. */
export function planRuns(L: TableLayout, minRun: number): PlannedRun[][] {
  const out: PlannedRun[][] = [];
  for (const c of L.chains) {
    const runs: PlannedRun[] = [];
    out.push(runs);
    if (minRun <= 0) continue;
    const n = c.tail - c.start;
    let k = 0;
    while (k < n) {
      const first = ruleKey(L, c.start + k);
      if (first === null) {
        k++;
        continue;
      }
      const keys: RuleKey[] = [first];
      let j = k + 1;
      while (j < n) {
        const key = ruleKey(L, c.start + j);
        if (key === null || key.shape !== first.shape) break;
        keys.push(key);
        j++;
      }
      if (keys.length >= minRun) runs.push({ k0: k, k1: j, index: new RunIndex(c.start + k, keys, first.shape) });
      k = j;
    }
  }
  return out;
}

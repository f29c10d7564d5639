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

/** HOT: can an index serve this packet, i.e. can the tcp/udp match of an indexed rule not hotdrop on it? */
export function safeL4(m: PacketMeta): boolean {
  return m.fragOffset === 0 && m.l4Off >= 0 && l4Complete(m);
}

/** The fixed transport header (TCP 20 bytes / UDP 8 bytes) is within the captured frame. */
function l4Complete(m: PacketMeta): boolean {
  const need = m.ipProto === 6 ? 20 : 8;
  return m.l4Off + need <= m.frameOff + m.caplen;
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

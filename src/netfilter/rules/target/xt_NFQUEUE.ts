// NFQUEUE (libxt_NFQUEUE.c revision 3): `--queue-num N` or `--queue-balance a:b` (a < b <= 65534),
// `--queue-bypass`, `--queue-cpu-fanout`. The verdict comes from a userspace program, so the datapath
// decides it (TargetEnv.stateful): with --queue-bypass and no listener the packet is accepted.

import type { TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import type { NfqueueData } from '../target-data.js';
import { TargetKind } from '../target-data.js';
import { badValue, conflict, noState, uintOr } from '../mod-util.js';
import { parseUint } from '../values.js';

interface NfqParse extends NfqueueData {
  given: number;
}

export const nfqueueTarget: TargetModule<NfqParse, null> = {
  kind: 'target',
  name: 'NFQUEUE',
  family: 0,
  effect: TargetEffect.STATEFUL,
  options: [
    { name: 'queue-num', args: 1 },
    { name: 'queue-balance', args: 1 },
    { name: 'queue-bypass', args: 0 },
    { name: 'queue-cpu-fanout', args: 0 },
    { name: 'fail-open', args: 0 },
  ],
  init: () => ({ kind: TargetKind.NFQUEUE, queueNum: 0, queuesTotal: 1, bypass: false, cpuFanout: false, given: 0 }),
  parse(d, o, ctx) {
    switch (o.id) {
      case 0:
        if ((d.given & 2) !== 0) conflict(ctx, '--queue-num and --queue-balance are mutually exclusive');
        d.given |= 1;
        d.queueNum = uintOr(ctx, o.value, 0, 0xffff, 'queue number');
        break;
      case 1: {
        if ((d.given & 1) !== 0) conflict(ctx, '--queue-num and --queue-balance are mutually exclusive');
        d.given |= 2;
        const colon = o.value.indexOf(':');
        if (colon < 0) badValue(ctx, `Bad range "${o.value}"`);
        const a = o.value.slice(0, colon);
        const b = o.value.slice(colon + 1);
        const lo = a === '' ? 0 : parseUint(a, 0, 0xfffe);
        const hi = b === '' ? 0xfffe : parseUint(b, 0, 0xfffe);
        if (lo < 0 || hi < 0) badValue(ctx, `Bad range "${o.value}"`);
        if (lo >= hi) badValue(ctx, 'Bad range: first queue must be smaller than last');
        d.queueNum = lo;
        d.queuesTotal = hi - lo + 1;
        break;
      }
      case 2:
      case 4:
        d.bypass = true;
        break;
      case 3:
        d.cpuFanout = true;
        break;
    }
  },
  finish() {},
  print(d) {
    let s = d.queuesTotal > 1 ? `--queue-balance ${d.queueNum}:${d.queueNum + d.queuesTotal - 1}` : `--queue-num ${d.queueNum}`;
    if (d.bypass) s += ' --queue-bypass';
    if (d.cpuFanout) s += ' --queue-cpu-fanout';
    return s;
  },
  createState: noState,
  // HOT
  target: (d, skb, env) => env.stateful(d, skb),
};

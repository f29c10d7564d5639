// TCPOPTSTRIP: `--strip-options a,b,...` with option names or kind numbers (libxt_TCPOPTSTRIP.c), mangle table
// and -p tcp only (xt_TCPOPTSTRIP.c's xt_target .table/.proto). The option may be left out: the target then
// strips nothing and iptables-save prints no option. The datapath rewrites the header (TargetEnv.stateful).

import type { TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import { TargetKind } from '../target-data.js';
import { badValue, noState } from '../mod-util.js';
import { parseUint } from '../values.js';
import { IpProto } from '../../../decode/meta.js';

/** tcp_optionmap of libxt_TCPOPTSTRIP.c: the names `--strip-options` accepts for option kinds. */
export const TCPOPT_NAMES: Readonly<Record<string, number>> = {
  wscale: 3,
  mss: 2,
  'sack-permitted': 4,
  sack: 5,
  timestamp: 8,
  md5: 19,
};

interface TcpoptstripParse {
  kind: typeof TargetKind.TCPOPTSTRIP;
  bmap: number[];
}

export const tcpoptstripTarget: TargetModule<TcpoptstripParse, null> = {
  kind: 'target',
  name: 'TCPOPTSTRIP',
  family: 0,
  effect: TargetEffect.STATEFUL,
  tables: ['mangle'],
  proto: IpProto.TCP,
  options: [{ name: 'strip-options', args: 1 }],
  init: () => ({ kind: TargetKind.TCPOPTSTRIP, bmap: [0, 0, 0, 0, 0, 0, 0, 0] }),
  parse(d, o, ctx) {
    // parse_list: comma-separated, each a name of tcp_optionmap or a number 0..255 (strtoul base 0)
    for (const tok of o.value.split(',')) {
      let option = Object.hasOwn(TCPOPT_NAMES, tok) ? TCPOPT_NAMES[tok]! : 0;
      if (option === 0) {
        option = parseUint(tok, 0, 255);
        if (option < 0) badValue(ctx, `Bad TCP option value "${tok}"`);
      }
      if (option < 2) badValue(ctx, 'Option value may not be 0 or 1');
      const w = option >>> 5;
      const bit = 1 << (option & 31);
      if ((d.bmap[w]! & bit) !== 0) badValue(ctx, `Option "${tok}" already specified`);
      d.bmap[w] = (d.bmap[w]! | bit) >>> 0;
    }
  },
  finish() {},
  // tcpoptstrip_tg_save: nothing for an empty bitmap, else the kinds in ascending order, always numeric
  print(d) {
    const kinds: number[] = [];
    for (let k = 0; k < 256; k++) if (((d.bmap[k >>> 5]! >>> (k & 31)) & 1) !== 0) kinds.push(k);
    return kinds.length === 0 ? '' : `--strip-options ${kinds.join(',')}`;
  },
  createState: noState,
  // HOT
  target: (d, skb, env) => env.stateful(d, skb),
};

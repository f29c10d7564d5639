// TTL: `--ttl-set N | --ttl-dec N | --ttl-inc N` in the mangle table (libipt_TTL.c;
// net/netfilter/xt_HL.c ttl_tg). The datapath rewrites the header and its checksum (TargetEnv.stateful).

import type { TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import type { TtlData } from '../target-data.js';
import { TargetKind, TtlMode } from '../target-data.js';
import { conflict, missing, noState, uintOr } from '../mod-util.js';

interface TtlParse extends TtlData {
  given: boolean;
}

const NAMES = ['ttl-set', 'ttl-dec', 'ttl-inc'] as const;

export const ttlTarget: TargetModule<TtlParse, null> = {
  kind: 'target',
  name: 'TTL',
  family: 4,
  effect: TargetEffect.STATEFUL,
  tables: ['mangle'],
  options: NAMES.map((name) => ({ name, args: 1 as const })),
  init: () => ({ kind: TargetKind.TTL, mode: 0, value: 0, given: false }),
  parse(d, o, ctx) {
    if (d.given) conflict(ctx, 'TTL target: Only one of --ttl-set, --ttl-dec, --ttl-inc allowed');
    d.given = true;
    d.mode = [TtlMode.SET, TtlMode.DEC, TtlMode.INC][o.id]!;
    d.value = uintOr(ctx, o.value, o.id === 0 ? 0 : 1, 255, 'TTL value');
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'TTL target: One of --ttl-set, --ttl-dec, --ttl-inc is required');
  },
  print: (d) => `--${d.mode === TtlMode.SET ? 'ttl-set' : d.mode === TtlMode.DEC ? 'ttl-dec' : 'ttl-inc'} ${d.value}`,
  createState: noState,
  // HOT
  target: (d, skb, env) => env.stateful(d, skb),
};

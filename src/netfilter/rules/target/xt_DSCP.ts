// DSCP and TOS targets on the IPv4 TOS byte in the mangle table (libxt_DSCP.c, libxt_TOS.c revision 1;
// net/netfilter/xt_DSCP.c dscp_tg / tos_tg: tos = (tos & ~mask) ^ value). The datapath rewrites the header
// and its checksum (TargetEnv.stateful).

import type { TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import type { DscpData, TosData } from '../target-data.js';
import { TargetKind } from '../target-data.js';
import { badValue, conflict, missing, noState } from '../mod-util.js';
import { hex2, parseUint } from '../values.js';
import { dscpClass, tosValueOr } from '../match/xt_dscp.js';

interface DscpParse extends DscpData {
  given: boolean;
}

export const dscpTarget: TargetModule<DscpParse, null> = {
  kind: 'target',
  name: 'DSCP',
  family: 0,
  effect: TargetEffect.STATEFUL,
  tables: ['mangle'],
  options: [
    { name: 'set-dscp', args: 1 },
    { name: 'set-dscp-class', args: 1 },
  ],
  init: () => ({ kind: TargetKind.DSCP, dscp: 0, given: false }),
  parse(d, o, ctx) {
    if (d.given) conflict(ctx, 'DSCP target: --set-dscp and --set-dscp-class are mutually exclusive');
    d.given = true;
    const v = o.id === 0 ? parseUint(o.value, 0, 0x3f) : dscpClass(o.value);
    if (v < 0) badValue(ctx, o.id === 0 ? `DSCP \`${o.value}' out of range (0-63)` : `Invalid DSCP class value \`${o.value}'`);
    d.dscp = v;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'DSCP target: Parameter --set-dscp is required');
  },
  print: (d) => `--set-dscp ${hex2(d.dscp)}`,
  createState: noState,
  // HOT
  target: (d, skb, env) => env.stateful(d, skb),
};

interface TosParse extends TosData {
  given: boolean;
}

export const tosTarget: TargetModule<TosParse, null> = {
  kind: 'target',
  name: 'TOS',
  family: 0,
  effect: TargetEffect.STATEFUL,
  tables: ['mangle'],
  options: ['set-tos', 'and-tos', 'or-tos', 'xor-tos'].map((name) => ({ name, args: 1 as const })),
  init: () => ({ kind: TargetKind.TOS, value: 0, mask: 0, given: false }),
  parse(d, o, ctx) {
    if (d.given) conflict(ctx, 'TOS target: Only one action may be given');
    d.given = true;
    if (o.id === 0) {
      [d.value, d.mask] = tosValueOr(ctx, o.value);
      return;
    }
    const v = parseUint(o.value, 0, 0xff);
    if (v < 0) badValue(ctx, `Bad TOS value \`${o.value}'`);
    if (o.id === 1) {
      d.value = 0;
      d.mask = ~v & 0xff;
    } else if (o.id === 2) {
      d.value = d.mask = v;
    } else {
      d.value = v;
      d.mask = 0;
    }
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'TOS target: Parameter --set-tos is required');
  },
  print: (d) => `--set-tos ${hex2(d.value)}/${hex2(d.mask)}`,
  createState: noState,
  // HOT
  target: (d, skb, env) => env.stateful(d, skb),
};

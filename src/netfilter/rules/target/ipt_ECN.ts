// ECN: `--ecn-tcp-remove`, `--ecn-tcp-cwr 0|1`, `--ecn-tcp-ece 0|1`, `--ecn-ip-ect 0..3` in the mangle table
// (libipt_ECN.c; net/ipv4/netfilter/ipt_ECN.c ecn_tg_check: TCP operations need a non-inverted -p tcp).
// The datapath rewrites the headers and their checksums (TargetEnv.stateful).

import type { TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import type { EcnData } from '../target-data.js';
import { EcnOp, TargetKind } from '../target-data.js';
import { IssueCode } from '../issues.js';
import { badValue, conflict, missing, noState } from '../mod-util.js';
import { parseUint } from '../values.js';
import { IpProto } from '../../../decode/meta.js';

/** Option ids, as libipt_ECN.c's O_ECN_* (the x6 flag of each is 1 << id). */
const O_REMOVE = 0;
const O_CWR = 1;
const O_ECE = 2;
const O_IP_ECT = 3;
const NAMES = ['ecn-tcp-remove', 'ecn-tcp-cwr', 'ecn-tcp-ece', 'ecn-ip-ect'] as const;
const TCP_OPS = EcnOp.SET_ECE | EcnOp.SET_CWR;

interface EcnParse extends EcnData {
  /** x6 xflags: bit `1 << id` per option given. */
  given: number;
}

export const ecnTarget: TargetModule<EcnParse, null> = {
  kind: 'target',
  name: 'ECN',
  family: 4,
  effect: TargetEffect.STATEFUL,
  tables: ['mangle'],
  options: [
    { name: NAMES[O_REMOVE], args: 0 },
    { name: NAMES[O_CWR], args: 1 },
    { name: NAMES[O_ECE], args: 1 },
    { name: NAMES[O_IP_ECT], args: 1 },
  ],
  init: () => ({ kind: TargetKind.ECN, operation: 0, ipEct: 0, ece: 0, cwr: 0, given: 0 }),
  parse(d, o, ctx) {
    // XTTYPE_UINT8 with .max 1 (cwr, ece) or 3 (ip-ect)
    const max = o.id === O_IP_ECT ? 3 : 1;
    const v = o.id === O_REMOVE ? 0 : parseUint(o.value, 0, max);
    if (v < 0) badValue(ctx, `bad value for option "--${o.name}", or out of range (0-${max})`);
    d.given |= 1 << o.id;
    if (o.id === O_REMOVE) {
      // assigns the operation: an --ecn-ip-ect given before it no longer counts
      d.operation = TCP_OPS;
      d.ece = 0;
      d.cwr = 0;
    } else if (o.id === O_CWR) {
      d.operation |= EcnOp.SET_CWR;
      d.cwr = v;
    } else if (o.id === O_ECE) {
      d.operation |= EcnOp.SET_ECE;
      d.ece = v;
    } else {
      d.operation |= EcnOp.SET_IP;
      d.ipEct = v;
    }
  },
  finish(d, ctx) {
    // ECN_check, then xtables_options_fcheck's .excl of --ecn-tcp-remove against --ecn-tcp-cwr/--ecn-tcp-ece
    if (d.given === 0) missing(ctx, 'ECN target: An operation is required');
    if ((d.given & (1 << O_REMOVE)) === 0) return;
    for (const other of [O_CWR, O_ECE]) {
      if ((d.given & (1 << other)) !== 0) conflict(ctx, `option "--${NAMES[O_REMOVE]}" cannot be used together with "--${NAMES[other]}"`);
    }
  },
  check(d, ctx) {
    if ((d.operation & TCP_OPS) !== 0 && (ctx.ip.proto !== IpProto.TCP || ctx.ip.invProto)) {
      ctx.error(IssueCode.NEEDS_PROTOCOL, 'ECN target: cannot use operation on non-tcp rule (add -p tcp)');
    }
  },
  // ECN_save
  print(d) {
    if (d.operation === TCP_OPS && d.ece === 0 && d.cwr === 0) return '--ecn-tcp-remove';
    const parts: string[] = [];
    if ((d.operation & EcnOp.SET_ECE) !== 0) parts.push(`--ecn-tcp-ece ${d.ece}`);
    if ((d.operation & EcnOp.SET_CWR) !== 0) parts.push(`--ecn-tcp-cwr ${d.cwr}`);
    if ((d.operation & EcnOp.SET_IP) !== 0) parts.push(`--ecn-ip-ect ${d.ipEct}`);
    return parts.join(' ');
  },
  createState: noState,
  // HOT
  target: (d, skb, env) => env.stateful(d, skb),
};

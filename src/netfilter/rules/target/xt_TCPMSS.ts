// TCPMSS: `--set-mss N` or `--clamp-mss-to-pmtu` (libxt_TCPMSS.c). Load checks of xt_TCPMSS.c
// tcpmss_tg4_check: -p tcp, clamping only from FORWARD/OUTPUT/POSTROUTING, and a tcp match whose
// --tcp-flags comparison contains SYN (not inverted). The datapath rewrites the option (TargetEnv.stateful).

import type { TargetModule } from '../module.js';
import { HookBit, TargetEffect } from '../module.js';
import type { TcpmssData } from '../target-data.js';
import { TCPMSS_CLAMP_PMTU, TargetKind } from '../target-data.js';
import { IssueCode } from '../issues.js';
import { conflict, missing, noState, uintOr } from '../mod-util.js';
import type { TcpData } from '../match/xt_tcpudp.js';
import { TcpInv } from '../match/xt_tcpudp.js';
import { IpProto } from '../../../decode/meta.js';

interface TcpmssParse extends TcpmssData {
  given: boolean;
}

export const tcpmssTarget: TargetModule<TcpmssParse, null> = {
  kind: 'target',
  name: 'TCPMSS',
  family: 0,
  effect: TargetEffect.STATEFUL,
  proto: IpProto.TCP,
  options: [
    { name: 'set-mss', args: 1 },
    { name: 'clamp-mss-to-pmtu', args: 0 },
  ],
  init: () => ({ kind: TargetKind.TCPMSS, mss: 0, clamp: false, given: false }),
  parse(d, o, ctx) {
    if (d.given) conflict(ctx, 'TCPMSS target: Only one of --set-mss or --clamp-mss-to-pmtu allowed');
    d.given = true;
    if (o.id === 0) d.mss = uintOr(ctx, o.value, 0, 0xffff, 'MSS');
    else {
      d.mss = TCPMSS_CLAMP_PMTU;
      d.clamp = true;
    }
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'TCPMSS target: At least one parameter is required');
  },
  check(d, ctx) {
    if (d.clamp && (ctx.hookMask & ~(HookBit.FORWARD | HookBit.LOCAL_OUT | HookBit.POST_ROUTING)) !== 0) {
      ctx.error(IssueCode.WRONG_HOOK, 'TCPMSS target: path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks');
      return;
    }
    const syn = ctx.matches.some((m) => {
      if (m.name !== 'tcp') return false;
      const t = m.data as TcpData;
      return (t.flgCmp & 0x02) !== 0 && (t.inv & TcpInv.FLAGS) === 0;
    });
    if (!syn) ctx.error(IssueCode.NEEDS_PROTOCOL, 'TCPMSS target: Only works on TCP SYN packets (add -m tcp --tcp-flags SYN,RST SYN)');
  },
  print: (d) => (d.clamp ? '--clamp-mss-to-pmtu' : `--set-mss ${d.mss}`),
  createState: noState,
  // HOT
  target: (d, skb, env) => env.stateful(d, skb),
};

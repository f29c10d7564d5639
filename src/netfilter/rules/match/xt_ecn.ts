// `-m ecn --ecn-tcp-cwr | --ecn-tcp-ece | --ecn-ip-ect N` (libxt_ecn.c; net/netfilter/xt_ecn.c ecn_mt4):
// the ECN field of the IP header and the TCP ECE/CWR flags; the TCP tests need `-p tcp`.

import type { MatchModule } from '../module.js';
import { IssueCode } from '../issues.js';
import { missing, noState, uintOr } from '../mod-util.js';
import { IpProto, TcpFlag } from '../../../decode/meta.js';

/** XT_ECN_OP_MATCH_* bits. */
export const EcnOp = { IP: 0x01, ECE: 0x10, CWR: 0x20 } as const;

export interface EcnData {
  operation: number;
  invert: number;
  ipEct: number;
}

export const ecnMatch: MatchModule<EcnData, null> = {
  kind: 'match',
  name: 'ecn',
  family: 0,
  options: [
    { name: 'ecn-tcp-cwr', args: 0, invert: true },
    { name: 'ecn-tcp-ece', args: 0, invert: true },
    { name: 'ecn-ip-ect', args: 1, invert: true },
  ],
  init: () => ({ operation: 0, invert: 0, ipEct: 0 }),
  parse(d, o, ctx) {
    const bit = [EcnOp.CWR, EcnOp.ECE, EcnOp.IP][o.id]!;
    d.operation |= bit;
    if (o.invert) d.invert |= bit;
    if (o.id === 2) d.ipEct = uintOr(ctx, o.value, 0, 3, 'ECT');
  },
  finish(d, ctx) {
    if (d.operation === 0) missing(ctx, 'ECN match: some option required');
  },
  check(d, ctx) {
    if ((d.operation & (EcnOp.ECE | EcnOp.CWR)) !== 0 && (ctx.ip.proto !== IpProto.TCP || ctx.ip.invProto)) {
      ctx.error(IssueCode.NEEDS_PROTOCOL, 'ecn match: cannot match TCP bits for non-tcp packets (needs -p tcp)');
    }
  },
  print(d) {
    const inv = (b: number): string => ((d.invert & b) !== 0 ? '! ' : '');
    const parts: string[] = [];
    if ((d.operation & EcnOp.ECE) !== 0) parts.push(`${inv(EcnOp.ECE)}--ecn-tcp-ece`);
    if ((d.operation & EcnOp.CWR) !== 0) parts.push(`${inv(EcnOp.CWR)}--ecn-tcp-cwr`);
    if ((d.operation & EcnOp.IP) !== 0) parts.push(`${inv(EcnOp.IP)}--ecn-ip-ect ${d.ipEct}`);
    return parts.join(' ');
  },
  createState: noState,
  // HOT: ecn_mt4 (match_ip, match_tcp)
  match(d, skb) {
    const m = skb.meta;
    if ((d.operation & EcnOp.IP) !== 0 && ((m.ipTos & 3) === d.ipEct) === ((d.invert & EcnOp.IP) !== 0)) return false;
    if ((d.operation & (EcnOp.ECE | EcnOp.CWR)) !== 0) {
      if (m.l4Off < 0 || m.l4Len < 20) return false;
      if ((d.operation & EcnOp.ECE) !== 0 && ((m.tcpFlags & TcpFlag.ECE) !== 0) === ((d.invert & EcnOp.ECE) !== 0)) return false;
      if ((d.operation & EcnOp.CWR) !== 0 && ((m.tcpFlags & TcpFlag.CWR) !== 0) === ((d.invert & EcnOp.CWR) !== 0)) return false;
    }
    return true;
  },
};

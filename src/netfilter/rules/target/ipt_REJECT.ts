// REJECT for IPv4 and IPv6: `--reject-with` names and aliases matched by prefix as libipt_REJECT.c /
// libip6t_REJECT.c do, default icmp(6)-port-unreachable, always printed. Kernel limits (ipt_REJECT.c
// reject_tg_check): table filter, hooks INPUT/FORWARD/OUTPUT, tcp-reset only with `-p tcp`.

import type { TargetModule } from '../module.js';
import { HookBit, TargetEffect } from '../module.js';
import { Family } from '../ast.js';
import type { RejectData } from '../target-data.js';
import { Reject6With, RejectWith, TargetKind } from '../target-data.js';
import { IssueCode } from '../issues.js';
import { badValue, noState } from '../mod-util.js';
import { IpProto } from '../../../decode/meta.js';

/** reject_table[] of libipt_REJECT.c: name, alias, code. */
export const REJECT4_NAMES: ReadonlyArray<readonly [string, string, number]> = [
  ['icmp-net-unreachable', 'net-unreach', RejectWith.ICMP_NET_UNREACHABLE],
  ['icmp-host-unreachable', 'host-unreach', RejectWith.ICMP_HOST_UNREACHABLE],
  ['icmp-proto-unreachable', 'proto-unreach', RejectWith.ICMP_PROT_UNREACHABLE],
  ['icmp-port-unreachable', 'port-unreach', RejectWith.ICMP_PORT_UNREACHABLE],
  ['icmp-net-prohibited', 'net-prohib', RejectWith.ICMP_NET_PROHIBITED],
  ['icmp-host-prohibited', 'host-prohib', RejectWith.ICMP_HOST_PROHIBITED],
  ['tcp-reset', 'tcp-rst', RejectWith.TCP_RESET],
  ['icmp-admin-prohibited', 'admin-prohib', RejectWith.ICMP_ADMIN_PROHIBITED],
];

/** reject_table[] of libip6t_REJECT.c. */
export const REJECT6_NAMES: ReadonlyArray<readonly [string, string, number]> = [
  ['icmp6-no-route', 'no-route', Reject6With.ICMP6_NO_ROUTE],
  ['icmp6-adm-prohibited', 'adm-prohibited', Reject6With.ICMP6_ADM_PROHIBITED],
  ['icmp6-addr-unreachable', 'addr-unreach', Reject6With.ICMP6_ADDR_UNREACH],
  ['icmp6-port-unreachable', 'port-unreach', Reject6With.ICMP6_PORT_UNREACH],
  ['tcp-reset', 'tcp-rst', Reject6With.TCP_RESET],
  ['icmp6-policy-fail', 'policy-fail', Reject6With.ICMP6_POLICY_FAIL],
  ['icmp6-reject-route', 'reject-route', Reject6With.ICMP6_REJECT_ROUTE],
];

/** Name iptables-save prints for a reject code. */
export function rejectName(withCode: number, family: number): string {
  const table = family === Family.IPV6 ? REJECT6_NAMES : REJECT4_NAMES;
  return table.find(([, , c]) => c === withCode)?.[0] ?? String(withCode);
}

export const rejectTarget: TargetModule<RejectData, null> = {
  kind: 'target',
  name: 'REJECT',
  family: 0,
  effect: TargetEffect.STATEFUL,
  tables: ['filter'],
  hooks: HookBit.LOCAL_IN | HookBit.FORWARD | HookBit.LOCAL_OUT,
  options: [{ name: 'reject-with', args: 1 }],
  init: (ctx) =>
    ctx.family === Family.IPV6
      ? { kind: TargetKind.REJECT, with: Reject6With.ICMP6_PORT_UNREACH, family: 6 }
      : { kind: TargetKind.REJECT, with: RejectWith.ICMP_PORT_UNREACHABLE, family: 4 },
  parse(d, o, ctx) {
    const table = ctx.family === Family.IPV6 ? REJECT6_NAMES : REJECT4_NAMES;
    const a = o.value.toLowerCase();
    const hit = a === '' ? undefined : table.find(([n, alias]) => n.startsWith(a) || alias.startsWith(a));
    if (hit === undefined) {
      if ('echo-reply'.startsWith(a) || 'echoreply'.startsWith(a)) badValue(ctx, '--reject-with echo-reply no longer supported');
      badValue(ctx, `unknown reject type "${o.value}"`);
    }
    d.with = hit[2];
  },
  finish() {},
  check(d, ctx) {
    const reset = d.family === 6 ? Reject6With.TCP_RESET : RejectWith.TCP_RESET;
    if (d.with === reset && (ctx.ip.proto !== IpProto.TCP || ctx.ip.invProto)) {
      ctx.error(IssueCode.NEEDS_PROTOCOL, 'REJECT target: TCP_RESET invalid for non-tcp (needs -p tcp)');
    }
  },
  print: (d, ctx) => `--reject-with ${rejectName(d.with, ctx.family)}`,
  createState: noState,
  // HOT
  target: (d, skb, env) => env.stateful(d, skb),
};

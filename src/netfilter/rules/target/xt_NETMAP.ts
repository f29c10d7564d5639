// NETMAP: `--to ADDR[/MASK]` (libipt_NETMAP.c and libip6t_NETMAP.c of iptables 1.8: XTTYPE_HOSTMASK, the
// address masked, saved as `--to net/len`), nat table only, in the hooks of net/netfilter/xt_NETMAP.c's
// xt_target entries. The datapath maps each new connection's address 1:1 into the network (netmap_tg4).

import type { ParseContext, TargetModule } from '../module.js';
import { HookBit, TargetEffect } from '../module.js';
import { Family } from '../ast.js';
import type { NetmapData } from '../target-data.js';
import { NatFlag, TargetKind } from '../target-data.js';
import { badValue, missing, noState } from '../mod-util.js';
import { formatIpv4Net, formatIpv6Net, parseIpv6Net } from '../addr.js';
import { prefixMask } from '../../../util/ipv4.js';
import { parseUint } from '../values.js';

const PART = /^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$/;

/**
 * glibc inet_aton, as getaddrinfo reads a numeric IPv4 host: one to four parts, each decimal, octal (leading
 * 0) or hex (0x); the last part fills the bytes the others leave (`10.1` = 10.0.0.1). The address or -1.
 */
export function parseInetAton(s: string): number {
  const parts = s.split('.');
  if (parts.length > 4) return -1;
  const v: number[] = [];
  for (const p of parts) {
    if (!PART.test(p)) return -1;
    v.push(p.length > 1 && (p[1] === 'x' || p[1] === 'X') ? (p.length === 2 ? 0 : parseInt(p.slice(2), 16)) : p.length > 1 && p[0] === '0' ? parseInt(p, 8) : Number(p));
  }
  const last = v.pop()!;
  for (const b of v) if (b > 0xff) return -1;
  const room = 4 - v.length;
  if (last >= 2 ** (8 * room)) return -1;
  let a = 0;
  for (const b of v) a = a * 256 + b;
  return (a * 2 ** (8 * room) + last) >>> 0;
}

/** XTTYPE_HOSTMASK for IPv4: `host[/len|/mask]` into the network's first and last address. */
function parseTo4(ctx: ParseContext, d: NetmapData, arg: string): void {
  const slash = arg.indexOf('/');
  const host = slash < 0 ? arg : arg.slice(0, slash);
  const a = parseInetAton(host);
  if (a < 0) {
    if (/[a-zA-Z]/.test(host) && !/^0[xX]/.test(host)) badValue(ctx, `host name \`${host}' cannot be resolved offline: give a numeric address`);
    badValue(ctx, `Bad IP address "${host}"`);
  }
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = arg.slice(slash + 1);
    const len = parseUint(m, 0, 32);
    if (len >= 0) mask = prefixMask(len);
    else {
      // xtopt_parse_mask: a dotted mask, contiguous or not
      mask = m.includes('.') || PART.test(m) ? parseInetAton(m) : -1;
      if (mask < 0) badValue(ctx, `bad value for option "--to", neither a valid network mask nor valid CIDR (0-32).`);
    }
  }
  d.minAddr = (a & mask) >>> 0;
  d.maxAddr = (d.minAddr | ~mask) >>> 0;
}

/** XTTYPE_HOSTMASK for IPv6 (libip6t_NETMAP.c). */
function parseTo6(ctx: ParseContext, d: NetmapData, arg: string): void {
  const p = parseIpv6Net(arg);
  if (typeof p === 'string') badValue(ctx, p);
  d.net6 = p;
}

export const netmapTarget: TargetModule<NetmapData, null> = {
  kind: 'target',
  name: 'NETMAP',
  family: 0,
  effect: TargetEffect.STATEFUL,
  tables: ['nat'],
  hooks: HookBit.PRE_ROUTING | HookBit.POST_ROUTING | HookBit.LOCAL_OUT | HookBit.LOCAL_IN,
  options: [{ name: 'to', args: 1 }],
  init: () => ({ kind: TargetKind.NETMAP, flags: 0, minAddr: 0, maxAddr: 0, minProto: 0, maxProto: 0, net6: null }),
  parse(d, o, ctx) {
    if (ctx.family === Family.IPV6) parseTo6(ctx, d, o.value);
    else parseTo4(ctx, d, o.value);
    d.flags |= NatFlag.MAP_IPS;
  },
  finish(d, ctx) {
    // XTOPT_MAND; netmap_tg4_check then requires NF_NAT_RANGE_MAP_IPS, which --to always sets
    if ((d.flags & NatFlag.MAP_IPS) === 0) missing(ctx, 'option "--to" must be specified');
  },
  print(d, ctx) {
    if (ctx.family === Family.IPV6 && d.net6 !== null) return `--to ${formatIpv6Net(d.net6)}`;
    // __NETMAP_print: the first address and netmask2bits(~(min ^ max)), dotted when it has holes
    return `--to ${formatIpv4Net(d.minAddr, ~(d.minAddr ^ d.maxAddr) >>> 0)}`;
  },
  createState: noState,
  // HOT
  target: (d, skb, env) => env.stateful(d, skb),
};

// DNAT, SNAT, MASQUERADE and REDIRECT: `--to-destination/--to-source [ip[-ip]][:port[-port[/base]]]`,
// `--to-ports`, `--random`, `--random-fully`, `--persistent` parsed into one nf_nat_range2 record
// (libxt_DNAT.c / libxt_MASQUERADE.c of iptables 1.8.9; net/netfilter/xt_nat.c, xt_MASQUERADE.c,
// xt_REDIRECT.c for table and hook limits). The datapath carries them out through TargetEnv.stateful().

import type { OptionSpec, ParseContext, TargetModule } from '../module.js';
import { HookBit, TargetEffect } from '../module.js';
import { Family } from '../ast.js';
import type { NatTargetData } from '../target-data.js';
import { NatFlag, TargetKind } from '../target-data.js';
import { badValue, missing, noState } from '../mod-util.js';
import { parseIpv4Strict, canonicalIpv6 } from '../addr.js';
import { formatIpv4 } from '../../../util/ipv4.js';
import { scanUint, parseUint } from '../values.js';
import { serviceToPort } from '../names.js';
import { IpProto } from '../../../decode/meta.js';

/** Protocols whose ports a NAT range may name (portok in libxt_DNAT.c). */
const PORT_PROTOS: readonly number[] = [IpProto.TCP, IpProto.UDP, IpProto.SCTP, 33 /* dccp */];

function portOk(ctx: ParseContext): boolean {
  return PORT_PROTOS.includes(ctx.ip.proto) && !ctx.ip.invProto;
}

function firstPort(ctx: ParseContext, s: string): { port: number; rest: string } {
  const r = scanUint(s, 0);
  if (!Number.isNaN(r.value) && r.value <= 0xffff && r.end > 0) return { port: r.value, rest: s.slice(r.end) };
  const p = serviceToPort(s, null);
  if (p < 0) badValue(ctx, `Port \`${s}' not valid`);
  return { port: p, rest: '' };
}

/** parse_ports of libxt_DNAT.c: `port[-port[/base]]` (names only for the first port and the base). */
function parsePorts(ctx: ParseContext, d: NatTargetData, arg: string, allowBase: boolean): void {
  d.flags |= NatFlag.PROTO_SPECIFIED;
  const a = firstPort(ctx, arg);
  if (a.rest === '') {
    d.minProto = d.maxProto = a.port;
    return;
  }
  if (a.rest[0] === ':') badValue(ctx, 'Invalid port:port syntax - use dash');
  if (a.rest[0] !== '-') badValue(ctx, `Garbage after port value: \`${a.rest}'`);
  const tail = a.rest.slice(1);
  const b = scanUint(tail, 0);
  if (Number.isNaN(b.value) || b.value > 0xffff) badValue(ctx, `Port \`${tail}' not valid`);
  if (b.value < a.port) badValue(ctx, 'Invalid port range');
  d.minProto = a.port;
  d.maxProto = b.value;
  const rest = tail.slice(b.end);
  if (rest === '') return;
  if (rest[0] !== '/') badValue(ctx, `Garbage after port range: \`${rest}'`);
  if (!allowBase) badValue(ctx, 'Shifted portmap ranges not supported with this target');
  const bs = rest.slice(1);
  let base = parseUint(bs, 1, 0xffff);
  if (base < 0) base = serviceToPort(bs, null);
  if (base <= 0) badValue(ctx, `Port \`${bs}' not valid`);
  d.flags |= NatFlag.PROTO_OFFSET;
  d.baseProto = base;
}

/** parse_to: `[ip[-ip]][:ports]`, IPv6 addresses in brackets when ports follow. */
function parseTo(ctx: ParseContext, d: NatTargetData, arg: string): void {
  let addrPart = arg;
  let portPart: string | null = null;
  if (ctx.family === Family.IPV6) {
    if (arg.startsWith('[')) {
      const close = arg.indexOf(']');
      if (close < 0) badValue(ctx, `Invalid address format \`${arg}'`);
      addrPart = arg.slice(1, close);
      const after = arg.slice(close + 1);
      if (after !== '') {
        if (after[0] !== ':') badValue(ctx, `Invalid address format \`${arg}'`);
        portPart = after.slice(1);
      }
    } else if (arg.startsWith(':') && !arg.startsWith('::')) {
      addrPart = '';
      portPart = arg.slice(1);
    }
  } else {
    const colon = arg.indexOf(':');
    if (colon >= 0) {
      addrPart = arg.slice(0, colon);
      portPart = arg.slice(colon + 1);
    }
  }
  if (portPart !== null) {
    if (!portOk(ctx)) badValue(ctx, 'Need TCP, UDP, SCTP or DCCP with port specification');
    parsePorts(ctx, d, portPart, d.kind === TargetKind.DNAT);
  }
  if (addrPart === '') return;
  d.flags |= NatFlag.MAP_IPS;
  const dash = addrPart.indexOf('-');
  const lo = dash < 0 ? addrPart : addrPart.slice(0, dash);
  const hi = dash < 0 ? lo : addrPart.slice(dash + 1);
  if (ctx.family === Family.IPV6) {
    const a = canonicalIpv6(lo);
    const b = canonicalIpv6(hi);
    if (a === null) badValue(ctx, `Bad IP address "${lo}"`);
    if (b === null) badValue(ctx, `Bad IP address "${hi}"`);
    d.minAddr6 = a;
    d.maxAddr6 = b;
    return;
  }
  const a = parseIpv4Strict(lo);
  if (a < 0) badValue(ctx, `Bad IP address "${lo}"`);
  const b = parseIpv4Strict(hi);
  if (b < 0) badValue(ctx, `Bad IP address "${hi}"`);
  d.minAddr = a;
  d.maxAddr = b;
}

/** __NAT_print: the range text and the flags. */
function rangeText(d: NatTargetData, family: number, opt: string): string {
  let s = '';
  if ((d.flags & NatFlag.MAP_IPS) !== 0 || (d.flags & NatFlag.PROTO_SPECIFIED) !== 0) {
    let addr = '';
    if ((d.flags & NatFlag.MAP_IPS) !== 0) {
      if (family === Family.IPV6) {
        addr = d.minAddr6 ?? '';
        if (d.maxAddr6 !== null && d.maxAddr6 !== d.minAddr6) addr += `-${d.maxAddr6}`;
        if ((d.flags & NatFlag.PROTO_SPECIFIED) !== 0) addr = `[${addr}]`;
      } else {
        addr = formatIpv4(d.minAddr);
        if (d.maxAddr !== d.minAddr) addr += `-${formatIpv4(d.maxAddr)}`;
      }
    }
    s += ` --${opt} ${addr}`;
    if ((d.flags & NatFlag.PROTO_SPECIFIED) !== 0) s += `:${portsText(d)}`;
  }
  return s + flagsText(d);
}

function portsText(d: NatTargetData): string {
  let s = String(d.minProto);
  if (d.maxProto !== d.minProto) s += `-${d.maxProto}`;
  if ((d.flags & NatFlag.PROTO_OFFSET) !== 0) s += `/${d.baseProto}`;
  return s;
}

function flagsText(d: NatTargetData): string {
  let s = '';
  if ((d.flags & NatFlag.PROTO_RANDOM) !== 0) s += ' --random';
  if ((d.flags & NatFlag.PROTO_RANDOM_FULLY) !== 0) s += ' --random-fully';
  if ((d.flags & NatFlag.PERSISTENT) !== 0) s += ' --persistent';
  return s;
}

function fresh(kind: NatTargetData['kind']): NatTargetData {
  return {
    kind,
    manip: kind === TargetKind.SNAT || kind === TargetKind.MASQUERADE ? 0 : 1,
    flags: 0,
    minAddr: 0,
    maxAddr: 0,
    minProto: 0,
    maxProto: 0,
    baseProto: 0,
    minAddr6: null,
    maxAddr6: null,
  };
}

const FLAG_OPTS: readonly OptionSpec[] = [
  { name: 'random', args: 0 },
  { name: 'random-fully', args: 0 },
  { name: 'persistent', args: 0 },
];

function setFlag(d: NatTargetData, name: string): void {
  if (name === 'random') d.flags |= NatFlag.PROTO_RANDOM;
  else if (name === 'random-fully') d.flags |= NatFlag.PROTO_RANDOM_FULLY;
  else if (name === 'persistent') d.flags |= NatFlag.PERSISTENT;
}

/** DNAT or SNAT (xt_nat.c). */
function natModule(name: 'DNAT' | 'SNAT'): TargetModule<NatTargetData, null> {
  const opt = name === 'DNAT' ? 'to-destination' : 'to-source';
  const kind = name === 'DNAT' ? TargetKind.DNAT : TargetKind.SNAT;
  return {
    kind: 'target',
    name,
    family: 0,
    effect: TargetEffect.STATEFUL,
    tables: ['nat'],
    hooks: name === 'DNAT' ? HookBit.PRE_ROUTING | HookBit.LOCAL_OUT : HookBit.POST_ROUTING | HookBit.LOCAL_IN,
    options: [{ name: opt, args: 1 }, ...FLAG_OPTS],
    init: () => fresh(kind),
    parse(d, o, ctx) {
      if (o.id === 0) parseTo(ctx, d, o.value);
      else setFlag(d, o.name);
    },
    finish(d, ctx) {
      if ((d.flags & (NatFlag.MAP_IPS | NatFlag.PROTO_SPECIFIED)) === 0) missing(ctx, `option "--${opt}" must be specified`);
    },
    print: (d, ctx) => rangeText(d, ctx.family, opt).slice(1),
    createState: noState,
    // HOT
    target: (d, skb, env) => env.stateful(d, skb),
  };
}

export const dnatTarget = natModule('DNAT');
export const snatTarget = natModule('SNAT');

/** MASQUERADE or REDIRECT: `--to-ports` and the random flags. */
function portsModule(name: 'MASQUERADE' | 'REDIRECT'): TargetModule<NatTargetData, null> {
  const kind = name === 'MASQUERADE' ? TargetKind.MASQUERADE : TargetKind.REDIRECT;
  return {
    kind: 'target',
    name,
    family: 0,
    effect: TargetEffect.STATEFUL,
    tables: ['nat'],
    hooks: name === 'MASQUERADE' ? HookBit.POST_ROUTING : HookBit.PRE_ROUTING | HookBit.LOCAL_OUT,
    options: name === 'MASQUERADE' ? [{ name: 'to-ports', args: 1 }, FLAG_OPTS[0]!, FLAG_OPTS[1]!] : [{ name: 'to-ports', args: 1 }, FLAG_OPTS[0]!],
    init: () => fresh(kind),
    parse(d, o, ctx) {
      if (o.id === 0) {
        if (!portOk(ctx)) badValue(ctx, 'Need TCP, UDP, SCTP or DCCP with port specification');
        parsePorts(ctx, d, o.value, false);
      } else setFlag(d, o.name);
    },
    finish() {},
    print(d) {
      let s = '';
      if ((d.flags & NatFlag.PROTO_SPECIFIED) !== 0) s += ` --to-ports ${portsText(d)}`;
      return (s + flagsText(d)).slice(1);
    },
    createState: noState,
    // HOT
    target: (d, skb, env) => env.stateful(d, skb),
  };
}

export const masqueradeTarget = portsModule('MASQUERADE');
export const redirectTarget = portsModule('REDIRECT');

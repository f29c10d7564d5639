// `-m dscp --dscp N | --dscp-class NAME` and `-m tos --tos value[/mask] | NAME` on the IPv4 TOS byte
// (libxt_dscp.c, libxt_tos.c; net/netfilter/xt_dscp.c dscp_mt and tos_mt).

import type { MatchModule, ParseContext } from '../module.js';
import { badValue, conflict, missing, noState } from '../mod-util.js';
import { hex2, parseUint } from '../values.js';

/** DiffServ class names (libxt_dscp_helper.c). */
export const DSCP_CLASSES: ReadonlyArray<readonly [string, number]> = [
  ['CS0', 0x00], ['CS1', 0x08], ['CS2', 0x10], ['CS3', 0x18], ['CS4', 0x20], ['CS5', 0x28], ['CS6', 0x30], ['CS7', 0x38],
  ['BE', 0x00], ['AF11', 0x0a], ['AF12', 0x0c], ['AF13', 0x0e], ['AF21', 0x12], ['AF22', 0x14], ['AF23', 0x16],
  ['AF31', 0x1a], ['AF32', 0x1c], ['AF33', 0x1e], ['AF41', 0x22], ['AF42', 0x24], ['AF43', 0x26], ['EF', 0x2e],
];

/** Symbolic TOS values (libxt_tos.c tos_symbol_names), with mask 0x3f. */
export const TOS_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['Minimize-Delay', 0x10],
  ['Maximize-Throughput', 0x08],
  ['Maximize-Reliability', 0x04],
  ['Minimize-Cost', 0x02],
  ['Normal-Service', 0x00],
];

/** A `--tos` argument: a symbolic name (mask 0x3f) or value[/mask] (mask 0xff by default); fails otherwise. */
export function tosValueOr(ctx: ParseContext, s: string): [number, number] {
  const sym = TOS_NAMES.find(([n]) => n.toLowerCase() === s.toLowerCase());
  if (sym !== undefined) return [sym[1], 0x3f];
  const slash = s.indexOf('/');
  const v = parseUint(slash < 0 ? s : s.slice(0, slash), 0, 0xff);
  const m = slash < 0 ? 0xff : parseUint(s.slice(slash + 1), 0, 0xff);
  if (v < 0 || m < 0) badValue(ctx, `Bad TOS value \`${s}'`);
  return [v, m];
}

/** Look up a DSCP class name (case-insensitive): the value or -1. */
export function dscpClass(name: string): number {
  return DSCP_CLASSES.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1] ?? -1;
}

export interface DscpMatchData {
  dscp: number;
  invert: boolean;
  given: boolean;
}

export const dscpMatch: MatchModule<DscpMatchData, null> = {
  kind: 'match',
  name: 'dscp',
  family: 0,
  options: [
    { name: 'dscp', args: 1, invert: true },
    { name: 'dscp-class', args: 1, invert: true },
  ],
  init: () => ({ dscp: 0, invert: false, given: false }),
  parse(d, o, ctx) {
    if (d.given) conflict(ctx, '--dscp and --dscp-class are mutually exclusive');
    d.given = true;
    d.invert = o.invert;
    if (o.id === 0) {
      const v = parseUint(o.value, 0, 0x3f);
      if (v < 0) badValue(ctx, `DSCP \`${o.value}' out of range (0-63)`);
      d.dscp = v;
    } else {
      const v = dscpClass(o.value);
      if (v < 0) badValue(ctx, `Invalid DSCP class value \`${o.value}'`);
      d.dscp = v;
    }
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'DSCP match: Parameter --dscp is required');
  },
  print: (d) => `${d.invert ? '! ' : ''}--dscp ${hex2(d.dscp)}`,
  createState: noState,
  // HOT
  match: (d, skb) => (skb.meta.ipTos >>> 2 === d.dscp) !== d.invert,
};

export interface TosMatchData {
  value: number;
  mask: number;
  invert: boolean;
  given: boolean;
}

export const tosMatch: MatchModule<TosMatchData, null> = {
  kind: 'match',
  name: 'tos',
  family: 0,
  options: [{ name: 'tos', args: 1, invert: true }],
  init: () => ({ value: 0, mask: 0xff, invert: false, given: false }),
  parse(d, o, ctx) {
    d.given = true;
    d.invert = o.invert;
    [d.value, d.mask] = tosValueOr(ctx, o.value);
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--tos" must be specified');
  },
  print: (d) => `${d.invert ? '! ' : ''}--tos ${hex2(d.value)}/${hex2(d.mask)}`,
  createState: noState,
  // HOT
  match: (d, skb) => ((skb.meta.ipTos & d.mask) === d.value) !== d.invert,
};

// CT and NOTRACK in the raw table (libxt_CT.c revision 2 and its NOTRACK alias; net/netfilter/xt_CT.c).
// `--notrack`/NOTRACK make the packet untracked; zones, helpers, timeouts and event masks alter the
// conntrack template. Both go to the datapath through TargetEnv.stateful().

import type { TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import type { CtData, NotrackData } from '../target-data.js';
import { TargetKind } from '../target-data.js';
import { badValue, conflict, noState, uintOr } from '../mod-util.js';

/** XT_CT_* flags. */
export const CtTargetFlag = { NOTRACK: 1 << 0, NOTRACK_ALIAS: 1 << 1, ZONE_DIR_ORIG: 1 << 2, ZONE_DIR_REPL: 1 << 3, ZONE_MARK: 1 << 4 } as const;

/** ct_event_tbl / exp_event_tbl of libxt_CT.c: names by IPCT_* / IPEXP_* bit. */
export const CT_EVENTS = ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'] as const;
export const EXP_EVENTS = ['new'] as const;

function parseEvents(ctx: Parameters<TargetModule['parse']>[2], s: string, names: readonly string[]): number {
  let mask = 0;
  for (const p of s.split(',')) {
    const i = names.indexOf(p);
    if (i < 0) badValue(ctx, `CT: unknown event "${p}"`);
    mask |= 1 << i;
  }
  return mask;
}

function eventsText(mask: number, names: readonly string[]): string {
  return names.filter((_, i) => (mask & (1 << i)) !== 0).join(',');
}

const OPTS = ['notrack', 'helper', 'timeout', 'ctevents', 'expevents', 'zone', 'zone-orig', 'zone-reply'] as const;

export const ctTarget: TargetModule<CtData, null> = {
  kind: 'target',
  name: 'CT',
  family: 0,
  effect: TargetEffect.STATEFUL,
  tables: ['raw'],
  options: OPTS.map((name, i) => ({ name, args: i === 0 ? (0 as const) : (1 as const) })),
  init: () => ({ kind: TargetKind.CT, notrack: false, flags: 0, zone: 0, helper: '', timeout: '', ctEvents: 0, expEvents: 0 }),
  parse(d, o, ctx) {
    switch (OPTS[o.id]) {
      case 'notrack':
        d.notrack = true;
        d.flags |= CtTargetFlag.NOTRACK;
        break;
      case 'helper':
        if (o.value.length > 15) badValue(ctx, 'CT: helper name too long');
        d.helper = o.value;
        break;
      case 'timeout':
        if (o.value.length > 31) badValue(ctx, 'CT: timeout policy name too long');
        d.timeout = o.value;
        break;
      case 'ctevents':
        d.ctEvents = parseEvents(ctx, o.value, CT_EVENTS);
        break;
      case 'expevents':
        d.expEvents = parseEvents(ctx, o.value, EXP_EVENTS);
        break;
      case 'zone':
      case 'zone-orig':
      case 'zone-reply':
        if ((d.flags & (CtTargetFlag.ZONE_DIR_ORIG | CtTargetFlag.ZONE_DIR_REPL)) !== 0 || d.zone !== 0) conflict(ctx, 'CT: only one zone option');
        if (o.value === 'mark') {
          d.flags |= CtTargetFlag.ZONE_MARK;
        } else d.zone = uintOr(ctx, o.value, 0, 0xffff, 'zone');
        if (OPTS[o.id] === 'zone-orig') d.flags |= CtTargetFlag.ZONE_DIR_ORIG;
        if (OPTS[o.id] === 'zone-reply') d.flags |= CtTargetFlag.ZONE_DIR_REPL;
        break;
    }
  },
  finish(d, ctx) {
    if (d.notrack && (d.helper !== '' || d.timeout !== '' || d.ctEvents !== 0 || d.expEvents !== 0 || d.zone !== 0)) {
      conflict(ctx, 'CT: --notrack cannot be combined with other options');
    }
  },
  print(d) {
    const parts: string[] = [];
    if (d.notrack) parts.push('--notrack');
    if (d.helper !== '') parts.push(`--helper ${d.helper}`);
    if (d.timeout !== '') parts.push(`--timeout ${d.timeout}`);
    if (d.ctEvents !== 0) parts.push(`--ctevents ${eventsText(d.ctEvents, CT_EVENTS)}`);
    if (d.expEvents !== 0) parts.push(`--expevents ${eventsText(d.expEvents, EXP_EVENTS)}`);
    const dir = (d.flags & CtTargetFlag.ZONE_DIR_ORIG) !== 0 ? '-orig' : (d.flags & CtTargetFlag.ZONE_DIR_REPL) !== 0 ? '-reply' : '';
    if ((d.flags & CtTargetFlag.ZONE_MARK) !== 0) parts.push(`--zone${dir} mark`);
    else if (d.zone !== 0 || dir !== '') parts.push(`--zone${dir} ${d.zone}`);
    return parts.join(' ');
  },
  createState: noState,
  // HOT
  target: (d, skb, env) => env.stateful(d, skb),
};

export const notrackTarget: TargetModule<NotrackData, null> = {
  kind: 'target',
  name: 'NOTRACK',
  family: 0,
  effect: TargetEffect.STATEFUL,
  tables: ['raw'],
  options: [],
  init: () => ({ kind: TargetKind.NOTRACK }),
  parse() {},
  finish() {},
  print: () => '',
  createState: noState,
  // HOT
  target: (d, skb, env) => env.stateful(d, skb),
};

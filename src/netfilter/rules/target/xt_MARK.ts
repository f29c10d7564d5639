// MARK and CONNMARK: pure targets the rules layer applies itself (xt_mark.c mark_tg: skb->mark =
// (mark & ~mask) ^ value; xt_connmark.c connmark_tg_shift on the entry's mark, a no-op without an entry).
// Every spelling (--set-mark, --and/--or/--xor-mark, --save/--restore-mark) becomes the xmark form
// iptables-save prints (libxt_MARK.c revision 2, libxt_CONNMARK.c revisions 1 and 2).

import type { OptionSpec, TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import type { ConnmarkData, MarkData } from '../target-data.js';
import { ConnmarkMode, TargetKind } from '../target-data.js';
import { badValue, conflict, missing, noState, uintOr } from '../mod-util.js';
import { hex, parseMarkMask, parseUint } from '../values.js';
import { Verdict } from '../../skb.js';

function markMask(ctx: Parameters<TargetModule['parse']>[2], s: string): [number, number] {
  const r = parseMarkMask(s);
  if (r === null) badValue(ctx, `bad value for mark \`${s}' (0-4294967295[/mask])`);
  return r;
}

function plain(ctx: Parameters<TargetModule['parse']>[2], s: string): number {
  const v = parseUint(s, 0, 0xffffffff);
  if (v < 0) badValue(ctx, `bad value for mark \`${s}' (0-4294967295)`);
  return v;
}

interface MarkParse extends MarkData {
  given: boolean;
}

export const markTarget: TargetModule<MarkParse, null> = {
  kind: 'target',
  name: 'MARK',
  family: 0,
  effect: TargetEffect.PURE,
  options: ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'].map((name) => ({ name, args: 1 as const })),
  init: () => ({ kind: TargetKind.MARK, value: 0, mask: 0, given: false }),
  parse(d, o, ctx) {
    if (d.given) conflict(ctx, 'MARK target: Can only specify one action');
    d.given = true;
    switch (o.id) {
      case 0: {
        const [v, m] = markMask(ctx, o.value);
        d.value = v;
        d.mask = m;
        break;
      }
      case 1: {
        const [v, m] = markMask(ctx, o.value);
        d.value = v;
        d.mask = (v | m) >>> 0;
        break;
      }
      case 2:
        d.value = 0;
        d.mask = ~plain(ctx, o.value) >>> 0;
        break;
      case 3:
        d.value = d.mask = plain(ctx, o.value);
        break;
      case 4:
        d.value = plain(ctx, o.value);
        d.mask = 0;
        break;
    }
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'MARK target: Parameter --set/and/or/xor-mark is required');
  },
  print: (d) => `--set-xmark ${hex(d.value)}/${hex(d.mask)}`,
  createState: noState,
  // HOT: mark_tg
  target(d, skb) {
    skb.mark = ((skb.mark & ~d.mask) ^ d.value) >>> 0;
    return Verdict.CONTINUE;
  },
};

interface ConnmarkParse extends ConnmarkData {
  given: number;
}

const CM_OPTS: readonly OptionSpec[] = [
  'set-xmark', 'save-mark', 'restore-mark', 'and-mark', 'or-mark', 'xor-mark', 'set-mark', 'mask', 'nfmask', 'ctmask', 'left-shift-mark', 'right-shift-mark',
].map((name, i) => ({ name, args: i === 1 || i === 2 ? (0 as const) : (1 as const) }));

const G_ACTION = 1;
const G_NFMASK = 2;
const G_CTMASK = 4;
const G_SHIFT = 8;

export const connmarkTarget: TargetModule<ConnmarkParse, null> = {
  kind: 'target',
  name: 'CONNMARK',
  family: 0,
  effect: TargetEffect.PURE,
  options: CM_OPTS,
  init: () => ({ kind: TargetKind.CONNMARK, mode: 0, ctmark: 0, ctmask: 0xffffffff, nfmask: 0xffffffff, shiftDir: 0, shiftBits: 0, given: 0 }),
  parse(d, o, ctx) {
    const name = CM_OPTS[o.id]!.name;
    if (o.id <= 6) {
      if ((d.given & G_ACTION) !== 0) conflict(ctx, 'CONNMARK target: Can only specify one action');
      d.given |= G_ACTION;
    }
    switch (name) {
      case 'set-xmark': {
        const [v, m] = markMask(ctx, o.value);
        d.mode = ConnmarkMode.SET;
        d.ctmark = v;
        d.ctmask = m;
        break;
      }
      case 'set-mark': {
        const [v, m] = markMask(ctx, o.value);
        d.mode = ConnmarkMode.SET;
        d.ctmark = v;
        d.ctmask = (v | m) >>> 0;
        break;
      }
      case 'and-mark':
        d.mode = ConnmarkMode.SET;
        d.ctmark = 0;
        d.ctmask = ~plain(ctx, o.value) >>> 0;
        break;
      case 'or-mark':
        d.mode = ConnmarkMode.SET;
        d.ctmark = d.ctmask = plain(ctx, o.value);
        break;
      case 'xor-mark':
        d.mode = ConnmarkMode.SET;
        d.ctmark = plain(ctx, o.value);
        d.ctmask = 0;
        break;
      case 'save-mark':
        d.mode = ConnmarkMode.SAVE;
        break;
      case 'restore-mark':
        d.mode = ConnmarkMode.RESTORE;
        break;
      case 'mask':
        d.nfmask = d.ctmask = plain(ctx, o.value);
        d.given |= G_NFMASK | G_CTMASK;
        break;
      case 'nfmask':
        d.nfmask = plain(ctx, o.value);
        d.given |= G_NFMASK;
        break;
      case 'ctmask':
        d.ctmask = plain(ctx, o.value);
        d.given |= G_CTMASK;
        break;
      case 'left-shift-mark':
      case 'right-shift-mark':
        if ((d.given & G_SHIFT) !== 0) conflict(ctx, 'CONNMARK target: only one shift may be given');
        d.given |= G_SHIFT;
        d.shiftDir = name === 'left-shift-mark' ? 0 : 1;
        d.shiftBits = uintOr(ctx, o.value, 0, 31, 'shift');
        break;
    }
  },
  finish(d, ctx) {
    if ((d.given & G_ACTION) === 0) missing(ctx, 'CONNMARK target: No operation specified');
  },
  print(d) {
    let s: string;
    if (d.mode === ConnmarkMode.SET) s = `--set-xmark ${hex(d.ctmark)}/${hex(d.ctmask)}`;
    else s = `${d.mode === ConnmarkMode.SAVE ? '--save-mark' : '--restore-mark'} --nfmask ${hex(d.nfmask)} --ctmask ${hex(d.ctmask)}`;
    if (d.shiftBits !== 0) s += ` --${d.shiftDir === 0 ? 'left' : 'right'}-shift-mark ${d.shiftBits}`;
    return s;
  },
  createState: noState,
  // HOT: connmark_tg_shift
  target(d, skb) {
    if (skb.ct < 0 || skb.untracked !== 0) return Verdict.CONTINUE;
    if (d.mode === ConnmarkMode.SET) {
      let nm = ((skb.ctMark & ~d.ctmask) ^ d.ctmark) >>> 0;
      nm = d.shiftDir === 1 ? nm >>> d.shiftBits : (nm << d.shiftBits) >>> 0;
      skb.ctMark = nm;
    } else if (d.mode === ConnmarkMode.SAVE) {
      let t = (skb.mark & d.nfmask) >>> 0;
      t = d.shiftDir === 1 ? t >>> d.shiftBits : (t << d.shiftBits) >>> 0;
      skb.ctMark = ((skb.ctMark & ~d.ctmask) ^ t) >>> 0;
    } else {
      let t = (skb.ctMark & d.ctmask) >>> 0;
      t = d.shiftDir === 1 ? t >>> d.shiftBits : (t << d.shiftBits) >>> 0;
      skb.mark = ((skb.mark & ~d.nfmask) ^ t) >>> 0;
    }
    return Verdict.CONTINUE;
  },
};

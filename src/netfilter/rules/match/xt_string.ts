// `-m string --string TEXT | --hex-string "|hex|" --algo bm|kmp [--from N] [--to N] [--icase]`
// (libxt_string.c; net/netfilter/xt_string.c string_mt with skb_find_text): the pattern must lie wholly in
// bytes [from, to) of the packet counted from the IP header. bm and kmp find the same first occurrence, so
// one plain search serves both.

import type { MatchModule } from '../module.js';
import type { Skb } from '../../skb.js';
import { badValue, missing, noState, uintOr } from '../mod-util.js';

/** XT_STRING_MAX_PATTERN_SIZE. */
export const STRING_MAX_PATTERN = 128;

export interface StringData {
  pattern: Uint8Array;
  algo: string;
  from: number;
  to: number;
  invert: boolean;
  icase: boolean;
  given: number;
}

const G_PATTERN = 1;
const G_ALGO = 2;

/** parse_string / parse_hex_string: `|..|` segments are hex bytes (spaces allowed), `\x` escapes a character. */
function parseHex(s: string, fail: (m: string) => never): Uint8Array {
  const out: number[] = [];
  let hex = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '|') {
      hex = !hex;
      continue;
    }
    if (hex) {
      if (c === ' ') continue;
      const pair = s.slice(i, i + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(pair)) fail(`Invalid hex char at offset ${i} in \`${s}'`);
      out.push(parseInt(pair, 16));
      i++;
      continue;
    }
    if (c === '\\' && i + 1 < s.length) {
      out.push(s.charCodeAt(++i) & 0xff);
      continue;
    }
    out.push(s.charCodeAt(i) & 0xff);
  }
  if (hex) fail(`Invalid hex block: unterminated \`|' in \`${s}'`);
  return Uint8Array.from(out);
}

function printable(b: Uint8Array): boolean {
  for (const x of b) if (x < 0x20 || x > 0x7e) return false;
  return true;
}

function patternText(b: Uint8Array): string {
  if (printable(b)) {
    let s = '';
    for (const x of b) s += (x === 0x22 || x === 0x5c ? '\\' : '') + String.fromCharCode(x);
    return `--string "${s}"`;
  }
  let h = '';
  for (const x of b) h += x.toString(16).padStart(2, '0');
  return `--hex-string "|${h}|"`;
}

function lower(x: number): number {
  return x >= 0x41 && x <= 0x5a ? x + 32 : x;
}

/** HOT: first occurrence of the pattern wholly inside [start, end) of the frame, or -1. */
function find(d: StringData, skb: Skb): number {
  const m = skb.meta;
  if (m.l3Off < 0) return -1;
  const data = m.data;
  const avail = Math.min(m.ipTotalLen, m.frameOff + m.caplen - m.l3Off);
  const start = m.l3Off + d.from;
  const end = m.l3Off + Math.min(d.to, avail);
  const p = d.pattern;
  const n = p.length;
  for (let i = start; i + n <= end; i++) {
    let j = 0;
    if (d.icase) {
      while (j < n && lower(data[i + j]!) === lower(p[j]!)) j++;
    } else {
      while (j < n && data[i + j] === p[j]) j++;
    }
    if (j === n) return i - start;
  }
  return -1;
}

export const stringMatch: MatchModule<StringData, null> = {
  kind: 'match',
  name: 'string',
  family: 0,
  options: [
    { name: 'from', args: 1 },
    { name: 'to', args: 1 },
    { name: 'algo', args: 1 },
    { name: 'string', args: 1, invert: true },
    { name: 'hex-string', args: 1, invert: true },
    { name: 'icase', args: 0 },
  ],
  init: () => ({ pattern: new Uint8Array(0), algo: '', from: 0, to: 0xffff, invert: false, icase: false, given: 0 }),
  parse(d, o, ctx) {
    switch (o.id) {
      case 0:
        d.from = uintOr(ctx, o.value, 0, 0xffff, 'from');
        break;
      case 1:
        d.to = uintOr(ctx, o.value, 0, 0xffff, 'to');
        break;
      case 2:
        if (o.value !== 'bm' && o.value !== 'kmp') badValue(ctx, `unknown search algorithm \`${o.value}' (bm or kmp)`);
        d.algo = o.value;
        d.given |= G_ALGO;
        break;
      case 3:
      case 4: {
        if ((d.given & G_PATTERN) !== 0) badValue(ctx, 'Can\'t specify multiple strings');
        const bytes = o.id === 3 ? Uint8Array.from(Buffer.from(o.value, 'latin1')) : parseHex(o.value, (m) => badValue(ctx, m));
        if (bytes.length === 0) badValue(ctx, 'STRING must contain at least one char');
        if (bytes.length > STRING_MAX_PATTERN) badValue(ctx, `STRING too long \`${o.value}' (max ${STRING_MAX_PATTERN} bytes)`);
        d.pattern = bytes;
        d.invert = o.invert;
        d.given |= G_PATTERN;
        break;
      }
      case 5:
        d.icase = true;
        break;
    }
  },
  finish(d, ctx) {
    if ((d.given & G_PATTERN) === 0) missing(ctx, 'STRING match: You must specify `--string\' or `--hex-string\'');
    if ((d.given & G_ALGO) === 0) missing(ctx, 'STRING match: You must specify `--algo\'');
    if (d.from > d.to) badValue(ctx, '--from must not exceed --to');
  },
  print(d) {
    let s = `${d.invert ? '! ' : ''}${patternText(d.pattern)} --algo ${d.algo}`;
    if (d.from !== 0) s += ` --from ${d.from}`;
    if (d.to !== 0xffff) s += ` --to ${d.to}`;
    if (d.icase) s += ' --icase';
    return s;
  },
  createState: noState,
  // HOT: string_mt
  match: (d, skb) => (find(d, skb) >= 0) !== d.invert,
};

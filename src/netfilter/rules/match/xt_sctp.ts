// `-p sctp -m sctp [[!] --sport P[:P]] [[!] --dport P[:P]] [[!] --chunk-types all|any|only LIST]`
// (libxt_sctp.c; net/netfilter/xt_sctp.c sctp_mt and match_packet). kube-proxy writes `-m sctp --dport` for
// SCTP services. LIST is ALL, NONE or chunk names with optional flags (DATA:Be: B set, E clear).

import type { MatchModule, ParseContext } from '../module.js';
import { IpProto } from '../../../decode/meta.js';
import { badValue, conflict, noState, portRangeOr } from '../mod-util.js';
import { rangeText } from '../values.js';
import type { Skb } from '../../skb.js';

/** XT_SCTP_* option bits. */
export const SctpFlag = { SRC_PORTS: 0x01, DEST_PORTS: 0x02, CHUNK_TYPES: 0x04 } as const;
/** SCTP_CHUNK_MATCH_*. */
const MATCH_ANY = 0x01;
const MATCH_ALL = 0x02;
const MATCH_ONLY = 0x04;
const MATCH_NAMES: ReadonlyArray<readonly [string, number]> = [['any', MATCH_ANY], ['all', MATCH_ALL], ['only', MATCH_ONLY]];
/** XT_NUM_SCTP_FLAGS. */
const MAX_FLAG_INFO = 4;

/** sctp_chunk_names: name, chunk type, and the flag letters of bits 7..0. */
const CHUNKS: ReadonlyArray<readonly [string, number, string]> = [
  ['DATA', 0, '----IUBE'], ['INIT', 1, '--------'], ['INIT_ACK', 2, '--------'], ['SACK', 3, '--------'],
  ['HEARTBEAT', 4, '--------'], ['HEARTBEAT_ACK', 5, '--------'], ['ABORT', 6, '-------T'], ['SHUTDOWN', 7, '--------'],
  ['SHUTDOWN_ACK', 8, '--------'], ['ERROR', 9, '--------'], ['COOKIE_ECHO', 10, '--------'], ['COOKIE_ACK', 11, '--------'],
  ['ECN_ECNE', 12, '--------'], ['ECN_CWR', 13, '--------'], ['SHUTDOWN_COMPLETE', 14, '-------T'], ['I_DATA', 64, '----IUBE'],
  ['RE_CONFIG', 130, '--------'], ['PAD', 132, '--------'], ['ASCONF', 193, '--------'], ['ASCONF_ACK', 128, '--------'],
  ['FORWARD_TSN', 192, '--------'], ['I_FORWARD_TSN', 194, '--------'],
];

export interface SctpData {
  flags: number;
  invflags: number;
  spts: [number, number];
  dpts: [number, number];
  matchType: number;
  /** The 256-bit chunk map as 8 words. */
  chunkmap: Uint32Array;
  /** Per chunk type with flag conditions: chunks[i] must have (flags & masks[i]) === values[i]. */
  flagTypes: number[];
  flagMasks: number[];
  flagValues: number[];
}

function setChunk(map: Uint32Array, t: number): void {
  map[t >>> 5]! |= 1 << (t & 31);
}
function hasChunk(map: Uint32Array, t: number): boolean {
  return (map[t >>> 5]! & (1 << (t & 31))) !== 0;
}

/** parse_sctp_chunk: ALL, NONE, or names with flags, comma separated. */
function parseChunks(d: SctpData, ctx: ParseContext, list: string): void {
  d.chunkmap.fill(0);
  if (list.toUpperCase() === 'ALL') return void d.chunkmap.fill(0xffffffff);
  if (list.toUpperCase() === 'NONE') return;
  for (const item of list.split(',')) {
    const colon = item.indexOf(':');
    const name = (colon < 0 ? item : item.slice(0, colon)).toUpperCase();
    const chunk = CHUNKS.find(([n]) => n === name);
    if (chunk === undefined) badValue(ctx, `Unknown sctp chunk \`${item}'`);
    setChunk(d.chunkmap, chunk[1]);
    if (colon < 0) continue;
    for (const ch of item.slice(colon + 1)) {
      const at = chunk[2].indexOf(ch.toUpperCase());
      if (at < 0 || ch === '-') badValue(ctx, `Invalid flags for chunk type ${chunk[1]}`);
      const bit = 1 << (7 - at);
      let k = d.flagTypes.indexOf(chunk[1]);
      if (k < 0) {
        if (d.flagTypes.length === MAX_FLAG_INFO) badValue(ctx, 'Number of chunk types with flags exceeds currently allowed limit.');
        k = d.flagTypes.push(chunk[1]) - 1;
        d.flagMasks.push(0);
        d.flagValues.push(0);
      }
      d.flagMasks[k] |= bit;
      if (ch === ch.toUpperCase()) d.flagValues[k] |= bit;
    }
  }
}

function chunksText(d: SctpData): string {
  const type = MATCH_NAMES.find(([, v]) => v === d.matchType)![0];
  if (d.chunkmap.every((w) => w === 0)) return `${type} NONE`;
  if (d.chunkmap.every((w) => w === 0xffffffff)) return `${type} ALL`;
  const parts: string[] = [];
  for (let t = 0; t < 256; t++) {
    if (!hasChunk(d.chunkmap, t)) continue;
    const c = CHUNKS.find(([, n]) => n === t);
    let s = c === undefined ? '' : c[0];
    const k = d.flagTypes.indexOf(t);
    if (k >= 0 && c !== undefined) {
      s += ':';
      for (let bit = 7; bit >= 0; bit--) {
        if ((d.flagMasks[k]! & (1 << bit)) === 0) continue;
        const letter = c[2][7 - bit]!;
        s += (d.flagValues[k]! & (1 << bit)) !== 0 ? letter : letter.toLowerCase();
      }
    }
    parts.push(s);
  }
  return `${type} ${parts.join(',')}`;
}

/** match_flags: a chunk type with flag conditions must meet them; others always do. HOT. */
function flagsOk(d: SctpData, type: number, flags: number): boolean {
  for (let i = 0; i < d.flagTypes.length; i++) if (d.flagTypes[i] === type) return (flags & d.flagMasks[i]!) === d.flagValues[i];
  return true;
}

/** The chunk types SCTP_CHUNK_MATCH_ALL still waits for (chunkmapcopy), reused by every call. */
const LEFT = new Uint32Array(8);

/** match_packet: walk the chunks after the 12-byte common header. HOT. */
function matchChunks(d: SctpData, skb: Skb, env: { hotdrop: number }): boolean {
  const m = skb.meta;
  const b = m.data;
  const end = m.l3Off + m.ipTotalLen;
  const capEnd = m.frameOff + m.caplen;
  let off = m.l4Off + 12;
  // SCTP_CHUNK_MATCH_ALL clears each wanted type seen from a copy of the map
  if (d.matchType === MATCH_ALL) LEFT.set(d.chunkmap);
  do {
    const len = off + 4 <= capEnd && off + 4 <= end ? (b[off + 2]! << 8) | b[off + 3]! : 0;
    if (len === 0) {
      env.hotdrop = 1;
      return false;
    }
    const type = b[off]!;
    const flags = b[off + 1]!;
    off += (len + 3) & ~3;
    if (hasChunk(d.chunkmap, type)) {
      if (d.matchType === MATCH_ANY) {
        if (flagsOk(d, type, flags)) return true;
      } else if (d.matchType === MATCH_ALL) {
        if (flagsOk(d, type, flags)) LEFT[type >>> 5]! &= ~(1 << (type & 31));
      } else if (!flagsOk(d, type, flags)) return false;
    } else if (d.matchType === MATCH_ONLY) return false;
  } while (off < end);
  if (d.matchType !== MATCH_ALL) return d.matchType === MATCH_ONLY;
  for (let i = 0; i < 8; i++) if (LEFT[i] !== 0) return false;
  return true;
}

/** SCCHECK: an option not given passes; a given one is its condition, inverted with `!`. */
function check(d: SctpData, bit: number, cond: boolean): boolean {
  return (d.flags & bit) === 0 || cond !== ((d.invflags & bit) !== 0);
}

const OPTS = ['source-port', 'destination-port', 'chunk-types'] as const;

export const sctpMatch: MatchModule<SctpData, null> = {
  kind: 'match',
  name: 'sctp',
  family: 0,
  proto: IpProto.SCTP,
  options: [
    { name: 'source-port', alias: ['sport'], args: 1, invert: true },
    { name: 'destination-port', alias: ['dport'], args: 1, invert: true },
    { name: 'chunk-types', args: 2, invert: true },
  ],
  init: () => ({ flags: 0, invflags: 0, spts: [0, 0xffff], dpts: [0, 0xffff], matchType: 0, chunkmap: new Uint32Array(8), flagTypes: [], flagMasks: [], flagValues: [] }),
  parse(d, o, ctx) {
    const bit = [SctpFlag.SRC_PORTS, SctpFlag.DEST_PORTS, SctpFlag.CHUNK_TYPES][o.id]!;
    if ((d.flags & bit) !== 0) conflict(ctx, `Only one \`--${OPTS[o.id]}' allowed`);
    d.flags |= bit;
    if (o.invert) d.invflags |= bit;
    if (bit === SctpFlag.SRC_PORTS) d.spts = portRangeOr(ctx, o.value, 'sctp');
    else if (bit === SctpFlag.DEST_PORTS) d.dpts = portRangeOr(ctx, o.value, 'sctp');
    else {
      const t = MATCH_NAMES.find(([n]) => n === o.value.toLowerCase());
      if (t === undefined) badValue(ctx, 'Match type has to be one of "ALL", "ANY" or "ONLY"');
      d.matchType = t[1];
      parseChunks(d, ctx, o.value2);
    }
  },
  finish() {},
  print(d) {
    const parts: string[] = [];
    const inv = (bit: number): string => ((d.invflags & bit) !== 0 ? '! ' : '');
    if ((d.flags & SctpFlag.SRC_PORTS) !== 0) parts.push(`${inv(SctpFlag.SRC_PORTS)}--sport ${rangeText(d.spts[0], d.spts[1])}`);
    if ((d.flags & SctpFlag.DEST_PORTS) !== 0) parts.push(`${inv(SctpFlag.DEST_PORTS)}--dport ${rangeText(d.dpts[0], d.dpts[1])}`);
    if ((d.flags & SctpFlag.CHUNK_TYPES) !== 0) parts.push(`${inv(SctpFlag.CHUNK_TYPES)}--chunk-types ${chunksText(d)}`);
    return parts.join(' ');
  },
  createState: noState,
  // HOT: sctp_mt
  match(d, skb, env) {
    const m = skb.meta;
    if (m.fragOffset !== 0) return false;
    if (m.l4Off < 0) {
      env.hotdrop = 1;
      return false;
    }
    return (
      check(d, SctpFlag.SRC_PORTS, m.sport >= d.spts[0] && m.sport <= d.spts[1]) &&
      check(d, SctpFlag.DEST_PORTS, m.dport >= d.dpts[0] && m.dport <= d.dpts[1]) &&
      ((d.flags & SctpFlag.CHUNK_TYPES) === 0 || check(d, SctpFlag.CHUNK_TYPES, matchChunks(d, skb, env)))
    );
  },
};

// -p dccp -m dccp (xt_dccp.c dccp_mt / dccp_find_option, libxt_dccp.c): ports, packet types and options read
// from byte-literal DCCP headers, the hotdrop cases (short header, Data Offset below the fixed part, options
// past the packet), `!`, and parsing and the saved form.

import { describe, expect, it } from 'vitest';
import { TestMatchEnv, evalMatch, matchOf, parseOne } from './helpers.js';
import { rawSkb } from './raw-ipv4.js';
import type { RawSpec } from './raw-ipv4.js';
import { ruleBodyText } from '../../../src/netfilter/rules/print.js';
import { Family } from '../../../src/netfilter/rules/ast.js';

const T = { REQUEST: 0, RESPONSE: 1, DATA: 2, ACK: 3, DATAACK: 4, CLOSEREQ: 5, CLOSE: 6, RESET: 7, SYNC: 8, SYNCACK: 9 };

interface Dccp {
  sport?: number;
  dport?: number;
  type: number;
  x?: number;
  /** Bytes after the generic header: the type's fixed part, then options. */
  rest?: number[];
  /** Data Offset in words (default: covers the whole of `rest`). */
  doff?: number;
  payload?: number[];
}

/** A DCCP packet: generic header (12 bytes, or 16 with X), `rest`, payload. */
function dccp(h: Dccp, extra: Partial<RawSpec> = {}) {
  const sp = h.sport ?? 5001;
  const dp = h.dport ?? 5000;
  const x = h.x ?? 0;
  const rest = h.rest ?? [];
  const hdr = 12 + (x ? 4 : 0) + rest.length;
  const doff = h.doff ?? hdr / 4;
  const l4 = [sp >>> 8, sp & 0xff, dp >>> 8, dp & 0xff, doff, 0, 0, 0, (h.type << 1) | x, 0, 0, 1];
  if (x) l4.push(0, 0, 0, 7);
  return rawSkb({ proto: 33, l4: [...l4, ...rest, ...(h.payload ?? [])], ...extra });
}

const m = (opts: string) => matchOf(`-p dccp -m dccp ${opts}`);
const saved = (rule: string): string => ruleBodyText(parseOne(rule).ruleset.rules[0]!, Family.IPV4).slice(1);
const rejects = (rule: string): string => {
  const r = parseOne(rule);
  expect(r.issues.length).toBeGreaterThan(0);
  return r.issues[0]!.message;
};
/** Evaluate; returns [matched, hotdrop]. */
function run(opts: string, skb: ReturnType<typeof dccp>): [boolean, number] {
  const env = new TestMatchEnv();
  const r = evalMatch(m(opts), skb, env);
  return [r, env.hotdrop];
}

/** REQUEST: service code (4 bytes) then `opts`, padded to a word. */
const request = (opts: number[], more: Partial<Dccp> = {}) => {
  const pad = (4 - (opts.length % 4)) % 4;
  return dccp({ type: T.REQUEST, rest: [0, 0, 0, 42, ...opts, ...new Array(pad).fill(0)], ...more });
};

describe('dccp_mt', () => {
  it('matches source and destination port ranges, with !', () => {
    const p = dccp({ type: T.DATA, sport: 40000, dport: 5000, payload: [1, 2, 3] });
    expect(run('--dport 5000', p)).toEqual([true, 0]);
    expect(run('--dport 5001', p)).toEqual([false, 0]);
    expect(run('! --dport 5001', p)).toEqual([true, 0]);
    expect(run('--sport 1024:', p)).toEqual([true, 0]);
    expect(run('--sport :1023', p)).toEqual([false, 0]);
    expect(run('--sport 40000 --dport 4000:4999', p)).toEqual([false, 0]);
    expect(run('', p)).toEqual([true, 0]);
  });

  it('matches the packet type against --dccp-types', () => {
    const req = request([]);
    const data = dccp({ type: T.DATA });
    expect(run('--dccp-types REQUEST,RESPONSE', req)).toEqual([true, 0]);
    expect(run('--dccp-types REQUEST,RESPONSE', data)).toEqual([false, 0]);
    expect(run('! --dccp-types REQUEST', data)).toEqual([true, 0]);
    // reserved types 10..15 are matched only by bit 10 (INVALID) when they are 10
    expect(run('--dccp-types INVALID', dccp({ type: 10, rest: new Array(12).fill(0) }))).toEqual([true, 0]);
    expect(run('--dccp-types INVALID', dccp({ type: 11, rest: new Array(12).fill(0) }))).toEqual([false, 0]);
  });

  it('walks the options after the type fixed part as dccp_find_option does', () => {
    // padding (0), mandatory (1), then option 32 of length 3 carrying 0xaa
    const p = request([0, 1, 32, 3, 0xaa]);
    expect(run('--dccp-option 32', p)).toEqual([true, 0]);
    expect(run('--dccp-option 1', p)).toEqual([true, 0]);
    expect(run('--dccp-option 170', p)).toEqual([false, 0]); // inside option 32's value
    expect(run('! --dccp-option 44', p)).toEqual([true, 0]);
    // a length of 0 steps one byte; a multi-byte kind in the last byte ends the walk
    expect(run('--dccp-option 43', request([40, 0, 43, 2]))).toEqual([true, 0]);
    expect(run('--dccp-option 50', request([1, 1, 1, 50]))).toEqual([true, 0]);
    expect(run('--dccp-option 60', request([1, 1, 1, 50]))).toEqual([false, 0]);
    // no option bytes at all: no match
    expect(run('--dccp-option 1', request([]))).toEqual([false, 0]);
  });

  it('sizes the fixed part by type and X (acknowledgement subheader, service code, reset, 48-bit seq)', () => {
    // DATA: options right after the 12-byte generic header
    expect(run('--dccp-option 34', dccp({ type: T.DATA, rest: [34, 2, 1, 1] }))).toEqual([true, 0]);
    // ACK: 8-byte acknowledgement subheader first (its bytes are not options)
    const ack = [0, 0, 0, 0, 34, 2, 0, 0];
    expect(run('--dccp-option 34', dccp({ type: T.ACK, rest: [...ack, 35, 2, 1, 1] }))).toEqual([false, 0]);
    expect(run('--dccp-option 35', dccp({ type: T.ACK, rest: [...ack, 35, 2, 1, 1] }))).toEqual([true, 0]);
    // RESPONSE and RESET: 12 bytes
    const twelve = [0, 0, 0, 0, 0, 0, 0, 0, 36, 2, 0, 0];
    expect(run('--dccp-option 36', dccp({ type: T.RESPONSE, rest: [...twelve, 37, 2, 1, 1] }))).toEqual([false, 0]);
    expect(run('--dccp-option 37', dccp({ type: T.RESET, rest: [...twelve, 37, 2, 1, 1] }))).toEqual([true, 0]);
    // X set: the generic header is 16 bytes
    expect(run('--dccp-option 38', dccp({ type: T.DATA, x: 1, rest: [38, 2, 1, 1] }))).toEqual([true, 0]);
    expect(run('--dccp-option 7', dccp({ type: T.DATA, x: 1, rest: [38, 2, 1, 1] }))).toEqual([false, 0]);
  });

  it('hotdrops a short header, a Data Offset below the fixed part, options past the packet', () => {
    // only 8 bytes of DCCP header in the IP packet: dropped whatever the options asked
    const short = rawSkb({ proto: 33, l4: [0x13, 0x89, 0x13, 0x88, 3, 0, 0, 0] });
    expect(run('--dport 5000', short)).toEqual([false, 1]);
    expect(run('', short)).toEqual([false, 1]);
    // Data Offset 3 words < 16 bytes of a REQUEST's fixed part: only the option test looks at it
    const low = request([], { doff: 3 });
    expect(run('--dccp-option 1', low)).toEqual([false, 1]);
    // inverted, the kernel's match still succeeds (then the packet is dropped for the hotdrop)
    expect(run('! --dccp-option 1', low)).toEqual([true, 1]);
    expect(run('--dport 5000', low)).toEqual([true, 0]);
    // a port test that fails first never reaches the option walk
    expect(run('--dport 1 --dccp-option 1', low)).toEqual([false, 0]);
    // Data Offset 8 words: options beyond the IP packet
    const long = request([1, 1, 1, 1], { doff: 8 });
    expect(run('--dccp-option 1', long)).toEqual([false, 1]);
  });

  it('leaves uncaptured bytes unknown (no match, no hotdrop) and skips later fragments', () => {
    const p = request([32, 3, 0xaa, 0], { payload: [9, 9, 9, 9] });
    const snapped = request([32, 3, 0xaa, 0], { payload: [9, 9, 9, 9] });
    snapped.meta.caplen = 20 + 18;
    expect(run('--dccp-option 32', p)).toEqual([true, 0]);
    expect(run('--dccp-option 32', snapped)).toEqual([false, 0]);
    expect(run('--dport 5000', snapped)).toEqual([true, 0]);
    snapped.meta.caplen = 20 + 10;
    expect(run('--dport 5000', snapped)).toEqual([false, 0]);
    const frag = dccp({ type: T.DATA }, { frag: 0x2001 });
    expect(frag.meta.fragOffset).toBe(8);
    expect(run('--dport 5000', frag)).toEqual([false, 0]);
    expect(run('! --dport 5000', frag)).toEqual([false, 0]);
  });
});

describe('dccp options and saved form (libxt_dccp)', () => {
  it('saves as dccp_save prints', () => {
    expect(saved('-p dccp -m dccp --sport 1024: ! --dport 5000')).toBe('-p dccp -m dccp --sport 1024:65535 ! --dport 5000');
    expect(saved('-p dccp -m dccp --source-port 7:7 --destination-port :')).toBe('-p dccp -m dccp --sport 7 --dport 0:65535');
    expect(saved('-p dccp -m dccp --dccp-types data,request,,Ack')).toBe('-p dccp -m dccp --dccp-types REQUEST,DATA,ACK');
    expect(saved('-p dccp -m dccp ! --dccp-types SYNC ! --dccp-option 0x10')).toBe('-p dccp -m dccp ! --dccp-types SYNC ! --dccp-option 16');
    // the match loads for its options after -p dccp
    expect(saved('-p dccp --dport 5000')).toBe('-p dccp -m dccp --dport 5000');
    expect(saved('-p dccp -m dccp')).toBe('-p dccp -m dccp');
  });

  it('rejects bad values, a repeat, and a rule without -p dccp', () => {
    expect(rejects('-p dccp -m dccp --sport 4:3')).toMatch(/portrange/);
    expect(rejects('-p dccp -m dccp --dport -1')).toMatch(/invalid port/);
    expect(rejects('-p dccp -m dccp --dccp-types REQUEST,FOO')).toBe("dccp: Unknown DCCP type `FOO'");
    expect(rejects('-p dccp -m dccp --dccp-option 0')).toMatch(/dccp-option/);
    expect(rejects('-p dccp -m dccp --dccp-option 256')).toMatch(/dccp-option/);
    expect(rejects('-p dccp -m dccp --sport 1 --source-port 2')).toMatch(/can only be used once/);
    expect(rejects('-m dccp --dport 1')).toBe('dccp match: only valid for protocol 33 (needs -p dccp)');
    expect(rejects('! -p dccp -m dccp --dport 1')).toBe('dccp match: only valid for protocol 33 (needs -p dccp)');
    expect(rejects('-p udp -m dccp')).toBe('dccp match: only valid for protocol 33 (needs -p dccp)');
  });
});

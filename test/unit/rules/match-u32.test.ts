// -m u32 (xt_u32.c u32_match_it, libxt_u32.c u32_parse / u32_dump): the man page's examples on byte-literal
// packets, reads past the end, the `@` overflow checks, `!`, and the parser's limits, messages and saved form.

import { describe, expect, it } from 'vitest';
import { TestMatchEnv, evalMatch, matchOf, parseOne } from './helpers.js';
import { rawSkb } from './raw-ipv4.js';
import { ruleBodyText } from '../../../src/netfilter/rules/print.js';
import { Family } from '../../../src/netfilter/rules/ast.js';

const env = (): TestMatchEnv => new TestMatchEnv();
const u32 = (expr: string, invert = false) => matchOf(`-m u32 ${invert ? '! ' : ''}--u32 "${expr}"`);
const saved = (rule: string): string => ruleBodyText(parseOne(rule).ruleset.rules[0]!, Family.IPV4).slice(1);
const rejects = (rule: string): string => {
  const r = parseOne(rule);
  expect(r.issues.length).toBeGreaterThan(0);
  return r.issues[0]!.message;
};

/** TCP: 20-byte header (data offset 5, or 6 with 4 option bytes), then `payload`. */
function tcp(payload: number[], withOptions = false): number[] {
  const h = [0x9c, 0x40, 0x00, 0x50, 0, 0, 0x13, 0x88, 0, 0, 0, 0, (withOptions ? 6 : 5) << 4, 0x18, 0xfa, 0xf0, 0, 0, 0, 0];
  return [...h, ...(withOptions ? [1, 1, 1, 0] : []), ...payload];
}

/** UDP to port 53 carrying a DNS header: id, flags, qdcount, then question bytes. */
function dns(flags: number, qdcount: number): number[] {
  const q = [7, ...'example'.split('').map((c) => c.charCodeAt(0)), 3, 0x63, 0x6f, 0x6d, 0, 0, 1, 0, 1];
  const body = [0x12, 0x34, flags >>> 8, flags & 0xff, 0, qdcount, 0, 0, 0, 0, 0, 0, ...q];
  const len = 8 + body.length;
  return [0xd4, 0x31, 0, 53, len >>> 8, len & 0xff, 0, 0, ...body];
}

describe('u32 evaluation (u32_match_it)', () => {
  it('matches the man page examples: total length, ICMP type, TCP payload words', () => {
    const echo = rawSkb({ proto: 1, l4: [8, 0, 0, 0, 0, 1, 0, 1, ...new Array(56).fill(0)] });
    const reply = rawSkb({ proto: 1, l4: [0, 0, 0, 0, 0, 1, 0, 1, ...new Array(300).fill(0)] });
    // IP total length (bytes 2-3) >= 256
    expect(evalMatch(u32('0 & 0xFFFF = 0x100:0xFFFF'), echo, env())).toBe(false);
    expect(evalMatch(u32('0 & 0xFFFF = 0x100:0xFFFF'), reply, env())).toBe(true);
    // ICMP, not a fragment, type 0 (echo reply)
    const icmp0 = '6 & 0xFF = 1 && 4 & 0x3FFF = 0 && 0 >> 22 & 0x3C @ 0 >> 24 = 0';
    expect(evalMatch(u32(icmp0), reply, env())).toBe(true);
    expect(evalMatch(u32(icmp0), echo, env())).toBe(false);
    // TCP payload bytes 8-11 are one of 1, 2, 5, 8 (the TCP header length read through the second `@`)
    const words = '6 & 0xFF = 6 && 0 >> 22 & 0x3C @ 12 >> 26 & 0x3C @ 8 = 1,2,5,8';
    const p = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
    expect(evalMatch(u32(words), rawSkb({ proto: 6, l4: tcp(p) }), env())).toBe(true);
    expect(evalMatch(u32(words), rawSkb({ proto: 6, l4: tcp(p, true) }), env())).toBe(true);
    expect(evalMatch(u32(words), rawSkb({ proto: 6, l4: tcp([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6]) }), env())).toBe(false);
  });

  it('follows the IP header length through IP options and counts from the IP header, not the frame', () => {
    const expr = '0>>22&0x3C@ 12>>26&0x3C@ 0 & 0xFF=0x41';
    const pkt = (ipOptions: number[], b3: number) => rawSkb({ proto: 6, l4: tcp([0x10, 0x20, 0x30, b3]), ipOptions, lead: 30 });
    expect(evalMatch(u32(expr), pkt([], 0x41), env())).toBe(true);
    expect(evalMatch(u32(expr), pkt([], 0x42), env())).toBe(false);
    expect(evalMatch(u32(expr), pkt([1, 1, 1, 0, 1, 1, 1, 0], 0x41), env())).toBe(true);
  });

  it('recognises a DNS query (QR clear, one question) behind the UDP header', () => {
    const expr = '6&0xFF=17 && 0>>22&0x3C@0&0xFFFF=53 && 0>>22&0x3C@8>>15&0x1=0 && 0>>22&0x3C@12>>16=1';
    expect(evalMatch(u32(expr), rawSkb({ proto: 17, l4: dns(0x0100, 1) }), env())).toBe(true);
    expect(evalMatch(u32(expr), rawSkb({ proto: 17, l4: dns(0x8180, 1) }), env())).toBe(false);
    expect(evalMatch(u32(expr), rawSkb({ proto: 17, l4: dns(0x0100, 2) }), env())).toBe(false);
  });

  it('is false (true with !) when a word lies past the packet, never reading beyond it', () => {
    const pkt = rawSkb({ proto: 6, l4: tcp([1, 2, 3, 4]) }); // 44 bytes
    expect(evalMatch(u32('40=0x01020304'), pkt, env())).toBe(true);
    expect(evalMatch(u32('41=0:0xFFFFFFFF'), pkt, env())).toBe(false);
    expect(evalMatch(u32('41=0:0xFFFFFFFF', true), pkt, env())).toBe(true);
    expect(evalMatch(u32('0>>22&0x3C@20=0:0xFFFFFFFF'), pkt, env())).toBe(true);
    expect(evalMatch(u32('0>>22&0x3C@21=0:0xFFFFFFFF'), pkt, env())).toBe(false);
    // a later test past the end fails the whole match even when the first passed
    expect(evalMatch(u32('0>>28=4 && 1000=0'), pkt, env())).toBe(false);
    // the bytes past the capture's snap length are unknown: no match either
    const snapped = rawSkb({ proto: 6, l4: tcp([1, 2, 3, 4]), snap: 42 });
    expect(evalMatch(u32('40=0x01020304'), snapped, env())).toBe(false);
    expect(evalMatch(u32('36=0:0xFFFFFFFF'), snapped, env())).toBe(true);
  });

  it('refuses an `@` whose offset would wrap around 2^32', () => {
    const pkt = rawSkb({ proto: 17, l4: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0] });
    // at = 0xFFFFFFFF: at + 4 wraps
    expect(evalMatch(u32('20@0=0:0xFFFFFFFF'), pkt, env())).toBe(false);
    // at = 0xFFFFFFFC, then + 8 wraps
    expect(evalMatch(u32('24@0=0:0xFFFFFFFF'), pkt, env())).toBe(false);
    // a small `@` base with a huge position is out of the packet, not wrapped back into it
    expect(evalMatch(u32('0&0@0xFFFFFFFC=0:0xFFFFFFFF'), pkt, env())).toBe(false);
    expect(evalMatch(u32('0&0@0=0:0xFFFFFFFF'), pkt, env())).toBe(true);
  });

  it('does u32 arithmetic: masks, shifts (count mod 32), ranges and value lists', () => {
    const pkt = rawSkb({ proto: 17, l4: [0x80, 0x00, 0x00, 0x01, 0, 0, 0, 0] });
    expect(evalMatch(u32('20=0x80000001'), pkt, env())).toBe(true);
    expect(evalMatch(u32('20<<1=2'), pkt, env())).toBe(true);
    expect(evalMatch(u32('20>>31=1'), pkt, env())).toBe(true);
    expect(evalMatch(u32('20>>32=0x80000001'), pkt, env())).toBe(true);
    expect(evalMatch(u32('20&0xFFFF=0:0,5,1'), pkt, env())).toBe(true);
    expect(evalMatch(u32('20&0xFFFF=2:1'), pkt, env())).toBe(false); // min > max never matches
  });
});

describe('u32 parsing and saved form (libxt_u32)', () => {
  it('prints the kernel struct back with hex numbers and no spaces', () => {
    expect(saved('-m u32 --u32 "0x0=0x0&&0x0=0x1"')).toBe('-m u32 --u32 "0x0=0x0&&0x0=0x1"');
    expect(saved('-m u32 --u32 "0>>22&0x3C@ 12>>26&0x3C@ 0 & 0xFF=0x41"')).toBe('-m u32 --u32 "0x0>>0x16&0x3c@0xc>>0x1a&0x3c@0x0&0xff=0x41"');
    expect(saved('-m u32 ! --u32 "0 & 0xFFFF = 0x100:0xFFFF , 7"')).toBe('-m u32 ! --u32 "0x0&0xffff=0x100:0xffff,0x7"');
    // strtoul base 0: octal and hex, a leading +
    expect(saved('-m u32 --u32 "010<<+3=0X1f:017"')).toBe('-m u32 --u32 "0x8<<0x3=0x1f:0xf"');
    const back = saved('-m u32 --u32 "6 & 0xFF = 1 && 4 & 0x3FFF = 0 && 0 >> 22 & 0x3C @ 0 >> 24 = 0"');
    expect(saved(back)).toBe(back);
  });

  it('accepts XT_U32_MAXSIZE tests, numbers and values, and refuses one more', () => {
    const tests = (n: number) => Array.from({ length: n }, () => '0=0').join('&&');
    const nums = (n: number) => `0${'&1'.repeat(n - 1)}=0`;
    const vals = (n: number) => `0=${Array.from({ length: n }, (_, i) => i).join(',')}`;
    expect(parseOne(`-m u32 --u32 "${tests(10)}"`).issues).toEqual([]);
    expect(parseOne(`-m u32 --u32 "${nums(10)}"`).issues).toEqual([]);
    expect(parseOne(`-m u32 --u32 "${vals(10)}"`).issues).toEqual([]);
    expect(rejects(`-m u32 --u32 "${tests(11)}"`)).toBe('u32: at char 53: too many "&&"s');
    expect(rejects(`-m u32 --u32 "${tests(12)}"`)).toBe('u32: at char 54: too many "&&"s');
    expect(rejects(`-m u32 --u32 "${nums(11)}"`)).toBe('u32: at char 21: too many operators');
    expect(rejects(`-m u32 --u32 "${vals(11)}"`)).toBe('u32: at char 24: too many ","s');
  });

  it('rejects malformed tests with libxt_u32 messages and positions', () => {
    expect(rejects('-m u32 --u32 ""')).toBe('u32: abrupt end of input after location specifier');
    expect(rejects('-m u32 --u32 "0 & 1"')).toBe('u32: abrupt end of input after location specifier');
    expect(rejects('-m u32 --u32 "0="')).toBe('u32: test ended with no value specified');
    expect(rejects('-m u32 --u32 "=1"')).toBe('u32: at char 0: location spec missing');
    expect(rejects('-m u32 --u32 "0 1=1"')).toBe('u32: at char 2: operator expected');
    expect(rejects('-m u32 --u32 "0<1=1"')).toBe("u32: at char 2: a second '<' was expected");
    expect(rejects('-m u32 --u32 "0>1=1"')).toBe("u32: at char 2: a second '>' was expected");
    expect(rejects('-m u32 --u32 "0=1&2"')).toBe("u32: at char 4: a second '&' was expected");
    expect(rejects('-m u32 --u32 "0=&&1=1"')).toBe('u32: at char 3: value spec missing');
    expect(rejects('-m u32 --u32 "0=1 2"')).toBe('u32: at char 4: expected "," or "&&"');
    expect(rejects('-m u32 --u32 "0=0x100000000"')).toBe('u32: at char 2: not a number or out of range');
    expect(rejects('-m u32 --u32 "0=-1"')).toBe('u32: at char 2: not a number or out of range');
    expect(rejects('-m u32 --u32 "0 == 4"')).toBe('u32: at char 3: not a number or out of range');
    expect(rejects('-m u32')).toBe('u32: option "--u32" must be specified');
    expect(rejects('-m u32 --u32 0=0 --u32 0=1')).toMatch(/can only be used once/);
  });
});

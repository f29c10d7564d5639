// HMARK in the rule language and per packet: option parsing and iptables-save text as libxt_HMARK.c has them
// (tuple words, prefixes, masks, the xflags "used once" rule, HMARK_check and hmark_tg_check refusals), and the
// mark against values computed here from xt_HMARK.c's formulas with an independent jhash_3words: the ordered
// addresses, hmark_swap_ports, the ICMP-error inner header, fragments, SPIs, and the conntrack-tuple variant.

import { describe, expect, it } from 'vitest';
import { RecordingTargetEnv, parseOne, ruleOf, runTarget } from './helpers.js';
import { ipv4Bytes, rawSkb } from './raw-ipv4.js';
import type { RawSpec } from './raw-ipv4.js';
import { hostWordOfAddress, refJhash3Words, refReciprocalScale } from './jhash-reference.js';
import { ruleBodyText } from '../../../src/netfilter/rules/print.js';
import { Family, TargetType } from '../../../src/netfilter/rules/ast.js';
import { TargetEffect } from '../../../src/netfilter/rules/module.js';
import { NONE, Verdict } from '../../../src/netfilter/skb.js';
import type { Skb } from '../../../src/netfilter/skb.js';
import { inetAton } from '../../../src/netfilter/rules/target/xt_HMARK.js';

const saved = (rule: string): string => ruleBodyText(ruleOf(rule, 'mangle', 'FORWARD'), Family.IPV4).slice(1);

function rejected(rule: string): string {
  const i = parseOne(rule, 'mangle', 'FORWARD').issues[0];
  if (i === undefined) throw new Error(`accepted: ${rule}`);
  return `${i.code} ${i.message}`;
}

/** The mark HMARK leaves on `skb` (which starts with mark 0xdead0000). */
function markOf(rule: string, skb: Skb): number {
  skb.mark = 0xdead0000;
  const r = ruleOf(rule, 'mangle', 'FORWARD');
  expect(runTarget(r, skb, new RecordingTargetEnv())).toBe(Verdict.CONTINUE);
  return skb.mark;
}

/** What hmark_hash gives for a tuple, computed from the kernel's formulas. */
interface Ref {
  src: string;
  dst: string;
  proto: number;
  /** The 4 bytes at the port offset as a big-endian word, or null when no ports are read. */
  word: number | null;
  srcMask?: number;
  dstMask?: number;
  portMask?: number;
  portSet?: number;
  protoMask?: number;
  rnd: number;
  mod: number;
  offset?: number;
}

function refMark(r: Ref): number {
  const s = (hostWordOfAddress(r.src) & (r.srcMask ?? 0xffffffff)) >>> 0;
  const d = (hostWordOfAddress(r.dst) & (r.dstMask ?? 0xffffffff)) >>> 0;
  let ports = 0;
  if (r.word !== null) {
    const hp = ((r.word & (r.portMask ?? 0)) | (r.portSet ?? 0)) >>> 0;
    const a = hp >>> 16;
    const b = hp & 0xffff;
    ports = b > a ? ((b << 16) | a) >>> 0 : ((a << 16) | b) >>> 0;
  }
  const hash = (refJhash3Words(Math.min(s, d), Math.max(s, d), ports, r.rnd) ^ (r.proto & (r.protoMask ?? 0))) >>> 0;
  return (refReciprocalScale(hash, r.mod) + (r.offset ?? 0)) >>> 0;
}

const be16 = (v: number): number[] => [v >>> 8, v & 0xff];
const tcp = (sport: number, dport: number): number[] => [...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
const udp = (sport: number, dport: number, payload = 4): number[] => [...be16(sport), ...be16(dport), ...be16(8 + payload), 0, 0, ...new Array<number>(payload).fill(0x61)];
const pkt = (s: Partial<RawSpec> & { proto: number; l4: readonly number[] }): Skb => rawSkb({ src: '172.17.0.2', dst: '198.51.100.10', ...s });

const FIVE = '-j HMARK --hmark-tuple src,dst,sport,dport --hmark-mod 16 --hmark-rnd 0x12345678 --hmark-offset 0x100';

describe('HMARK rule text', () => {
  it('saves what iptables-save prints for tuples, prefixes, masks and sets', () => {
    expect(saved(FIVE)).toBe(
      '-j HMARK --hmark-src-prefix 32 --hmark-dst-prefix 32 --hmark-sport-mask 0xffff --hmark-dport-mask 0xffff --hmark-rnd 0x12345678 --hmark-mod 16 --hmark-offset 256',
    );
    expect(saved('-j HMARK --hmark-tuple ct,src,dst,sport,dport --hmark-mod 7 --hmark-rnd 0x9 --hmark-offset 0x1000')).toBe(
      '-j HMARK --hmark-src-prefix 32 --hmark-dst-prefix 32 --hmark-sport-mask 0xffff --hmark-dport-mask 0xffff --hmark-rnd 0x00000009 --hmark-mod 7 --hmark-offset 4096 --hmark-tuple ct',
    );
    expect(saved('-j HMARK --hmark-tuple SP,d,Proto --hmark-mod 2 --hmark-rnd 1')).toBe(
      '-j HMARK --hmark-dst-prefix 32 --hmark-sport-mask 0xffff --hmark-proto-mask 0xffff --hmark-rnd 0x00000001 --hmark-mod 2',
    );
    expect(saved('-j HMARK --hmark-tuple spi --hmark-spi 0x10 --hmark-mod 3 --hmark-rnd 1')).toBe(
      '-j HMARK --hmark-spi-mask 0xffffffff --hmark-spi 0x00000010 --hmark-rnd 0x00000001 --hmark-mod 3',
    );
    expect(saved('-j HMARK --hmark-sport 7 --hmark-dport-mask 0xff --hmark-proto-mask 6 --hmark-mod 3 --hmark-rnd 1 --hmark-offset 0')).toBe(
      '-j HMARK --hmark-dport-mask 0x00ff --hmark-sport 0x0007 --hmark-proto-mask 0x06 --hmark-rnd 0x00000001 --hmark-mod 3 --hmark-offset 0',
    );
  });
  it('reads prefixes as lengths or as masks (a non-contiguous one saves as -1), and lets a later tuple word widen one', () => {
    expect(saved('-j HMARK --hmark-src-prefix 255.255.255.0 --hmark-mod 2 --hmark-rnd 1')).toBe('-j HMARK --hmark-src-prefix 24 --hmark-rnd 0x00000001 --hmark-mod 2');
    expect(saved('-j HMARK --hmark-dst-prefix 0 --hmark-mod 2 --hmark-rnd 1')).toBe('-j HMARK --hmark-dst-prefix 0 --hmark-rnd 0x00000001 --hmark-mod 2');
    expect(saved('-j HMARK --hmark-src-prefix 33 --hmark-mod 2 --hmark-rnd 1')).toBe('-j HMARK --hmark-src-prefix -1 --hmark-rnd 0x00000001 --hmark-mod 2');
    expect(saved('-j HMARK --hmark-src-prefix 8 --hmark-tuple src --hmark-mod 2 --hmark-rnd 1')).toBe('-j HMARK --hmark-src-prefix 32 --hmark-rnd 0x00000001 --hmark-mod 2');
    expect(inetAton('255.255.255.0')).toBe(0xffffff00);
    expect(inetAton('0xff.0377.65280')).toBe(0xffffff00);
    expect(inetAton('33')).toBe(33);
    expect(inetAton('08')).toBe(-1);
    expect(inetAton('1.256.0.0')).toBe(-1);
    expect(inetAton('1.2.3.4.5')).toBe(-1);
  });
  it('rejects what libxt_HMARK.c rejects', () => {
    expect(rejected('-j HMARK')).toBe('ERR_RULE_MISSING_OPTION HMARK: --hmark-mod is mandatory');
    expect(rejected('-j HMARK --hmark-tuple src --hmark-mod 2')).toBe('ERR_RULE_MISSING_OPTION HMARK: --hmark-rnd is mandatory');
    expect(rejected('-j HMARK --hmark-mod 2 --hmark-rnd 1')).toBe('ERR_RULE_MISSING_OPTION HMARK: you have to specify --hmark-tuple at least');
    expect(rejected('-j HMARK --hmark-tuple src --hmark-mod 0 --hmark-rnd 1')).toBe('ERR_RULE_BAD_VALUE HMARK: bad value for option "--hmark-mod", or out of range (1-4294967295).');
    expect(rejected('-j HMARK --hmark-tuple src,sport,spi --hmark-mod 2 --hmark-rnd 1')).toBe(
      'ERR_RULE_CONFLICT HMARK: you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time',
    );
    expect(rejected('-j HMARK --hmark-tuple src,foo,dst --hmark-mod 2 --hmark-rnd 1')).toBe('ERR_RULE_BAD_VALUE HMARK: Bad type "foo,dst"');
    expect(rejected('-j HMARK --hmark-tuple src,,dst --hmark-mod 2 --hmark-rnd 1')).toBe('ERR_RULE_BAD_VALUE HMARK: Bad type ",dst"');
    expect(rejected('-j HMARK --hmark-tuple srcx --hmark-mod 2 --hmark-rnd 1')).toBe('ERR_RULE_BAD_VALUE HMARK: Bad type "srcx"');
    expect(rejected('-j HMARK --hmark-tuple src, --hmark-mod 2 --hmark-rnd 1')).toBe(
      'ERR_RULE_BAD_VALUE HMARK: "--hmark-tuple" requires a list of types with no spaces, e.g. src,dst,sport,dport,proto',
    );
    expect(rejected('-j HMARK --hmark-tuple src --hmark-src-prefix 8 --hmark-mod 2 --hmark-rnd 1')).toBe(
      'ERR_RULE_OPTION_REPEATED HMARK: option "--hmark-src-prefix" can only be used once.',
    );
    expect(rejected('-j HMARK --hmark-src-prefix 1.2.3.256 --hmark-mod 2 --hmark-rnd 1')).toBe(
      'ERR_RULE_BAD_VALUE HMARK: bad value for option "--hmark-src-prefix", neither a valid network mask nor valid CIDR (0-32).',
    );
    expect(rejected('-j HMARK --hmark-sport-mask 65536 --hmark-mod 2 --hmark-rnd 1')).toMatch(/out of range \(0-65535\)/);
    expect(rejected('-j HMARK --hmark-tuple src --hmark-tuple dst --hmark-mod 2 --hmark-rnd 1')).toMatch(/^ERR_RULE_OPTION_REPEATED /);
  });
  it('refuses at load an SPI set with a port set (hmark_tg_check), which iptables lets through', () => {
    expect(rejected('-j HMARK --hmark-spi 1 --hmark-dport 2 --hmark-mod 2 --hmark-rnd 1')).toBe("ERR_RULE_CONFLICT HMARK target: spi-set and port-set can't be combined");
  });
  it('is a pure target in any table and chain', () => {
    const t = ruleOf(FIVE, 'filter', 'OUTPUT').target;
    expect(t.type === TargetType.EXTENSION && t.module.effect).toBe(TargetEffect.PURE);
    expect(parseOne(FIVE, 'raw', 'PREROUTING').issues).toEqual([]);
  });
});

describe('HMARK marks from the packet', () => {
  const base = { rnd: 0x12345678, mod: 16, offset: 0x100, portMask: 0xffffffff };
  it('hashes the ordered addresses and ports: both directions of a flow get the same mark', () => {
    const want = refMark({ src: '172.17.0.2', dst: '198.51.100.10', proto: 6, word: (40000 << 16) | 80, ...base });
    expect(markOf(FIVE, pkt({ proto: 6, l4: tcp(40000, 80) }))).toBe(want);
    expect(markOf(FIVE, pkt({ proto: 6, l4: tcp(80, 40000), src: '198.51.100.10', dst: '172.17.0.2' }))).toBe(want);
    expect(want).toBeGreaterThanOrEqual(0x100);
    expect(want).toBeLessThan(0x110);
  });
  it('masks and sets the ports, and XORs in the masked protocol', () => {
    const rule = '-j HMARK --hmark-src-prefix 24 --hmark-dst-prefix 16 --hmark-sport-mask 0xff00 --hmark-dport 0x0001 --hmark-proto-mask 0xff --hmark-mod 1000 --hmark-rnd 0xabcdef01';
    const want = refMark({ src: '172.17.0.2', dst: '198.51.100.10', proto: 17, word: (0x1234 << 16) | 53, srcMask: 0xffffff00, dstMask: 0xffff0000, portMask: 0xff000000, portSet: 1, protoMask: 0xff, rnd: 0xabcdef01, mod: 1000 });
    expect(markOf(rule, pkt({ proto: 17, l4: udp(0x1234, 53) }))).toBe(want);
    const sameNet = pkt({ proto: 17, l4: udp(0x12ff, 9999), src: '172.17.0.99', dst: '198.51.7.7' });
    expect(markOf(rule, sameNet)).toBe(want);
  });
  it('takes no ports from ICMP, from any fragment, from a protocol without ports, or from a cut header', () => {
    const rule = '-j HMARK --hmark-tuple src,dst,sport,dport,proto --hmark-sport 0x0009 --hmark-mod 97 --hmark-rnd 0x5';
    const noPorts = (proto: number): number => refMark({ src: '172.17.0.2', dst: '198.51.100.10', proto, word: null, protoMask: 0xffff, rnd: 5, mod: 97 });
    expect(markOf(rule, pkt({ proto: 1, l4: [8, 0, 0, 0, 0x12, 0x34, 0, 1] }))).toBe(noPorts(1));
    expect(markOf(rule, pkt({ proto: 6, l4: tcp(1000, 80), frag: 0x2000 }))).toBe(noPorts(6));
    expect(markOf(rule, pkt({ proto: 17, l4: udp(1000, 53), frag: 0x0003 }))).toBe(noPorts(17));
    expect(markOf(rule, pkt({ proto: 47, l4: [0, 0, 0x08, 0x00, 1, 2, 3, 4] }))).toBe(noPorts(47));
    expect(markOf(rule, pkt({ proto: 17, l4: [0x03, 0xe8] }))).toBe(noPorts(17));
    // ports present in the datagram but cut off by the capture are unknown, so not read either
    expect(markOf(rule, pkt({ proto: 17, l4: udp(1000, 53), snap: 22 }))).toBe(noPorts(17));
    const withPorts = refMark({ src: '172.17.0.2', dst: '198.51.100.10', proto: 17, word: (1000 << 16) | 53, portMask: 0xffffffff, portSet: 9 << 16, protoMask: 0xffff, rnd: 5, mod: 97 });
    expect(markOf(rule, pkt({ proto: 17, l4: udp(1000, 53) }))).toBe(withPorts);
  });
  it('reads an ESP SPI at offset 0 and an AH SPI at offset 4, as two 16-bit halves', () => {
    const rule = '-j HMARK --hmark-tuple src,dst,spi --hmark-mod 0xffffffff --hmark-rnd 0x77';
    const spi = 0x11223344;
    const want = refMark({ src: '172.17.0.2', dst: '198.51.100.10', proto: 50, word: spi, portMask: 0xffffffff, rnd: 0x77, mod: 0xffffffff });
    expect(markOf(rule, pkt({ proto: 50, l4: [0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1] }))).toBe(want);
    const ah = refMark({ src: '172.17.0.2', dst: '198.51.100.10', proto: 51, word: spi, portMask: 0xffffffff, rnd: 0x77, mod: 0xffffffff });
    expect(markOf(rule, pkt({ proto: 51, l4: [17, 4, 0, 0, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1, 0, 0, 0, 0] }))).toBe(ah);
  });
  it('hashes the header an ICMP error quotes, so the error gets the mark of the flow it is about', () => {
    const flow = refMark({ src: '172.17.0.2', dst: '198.51.100.10', proto: 17, word: (5000 << 16) | 53, ...base });
    const quoted = ipv4Bytes({ proto: 17, src: '172.17.0.2', dst: '198.51.100.10', l4: udp(5000, 53) });
    for (const [type, code] of [[3, 3], [11, 0], [12, 0], [4, 0], [5, 1]] as const) {
      const err = pkt({ proto: 1, src: '10.0.0.1', dst: '172.17.0.2', l4: [type, code, 0, 0, 0, 0, 0, 0, ...quoted] });
      expect(markOf(FIVE, err)).toBe(flow);
    }
    // not an error: the outer header, no ports
    const echo = pkt({ proto: 1, src: '10.0.0.1', dst: '172.17.0.2', l4: [0, 0, 0, 0, ...quoted] });
    expect(markOf(FIVE, echo)).toBe(refMark({ src: '10.0.0.1', dst: '172.17.0.2', proto: 1, word: null, ...base }));
    // an error quoting less than an IP header: skb_header_pointer fails, the mark is left alone
    const cut = pkt({ proto: 1, src: '10.0.0.1', dst: '172.17.0.2', l4: [3, 3, 0, 0, 0, 0, 0, 0, ...quoted.subarray(0, 19)] });
    expect(markOf(FIVE, cut)).toBe(0xdead0000);
    // an error quoting a header but not its ports: the inner addresses, no ports
    const short = pkt({ proto: 1, src: '10.0.0.1', dst: '172.17.0.2', l4: [3, 3, 0, 0, 0, 0, 0, 0, ...quoted.subarray(0, 22)] });
    expect(markOf(FIVE, short)).toBe(refMark({ src: '172.17.0.2', dst: '198.51.100.10', proto: 17, word: null, ...base }));
  });
  it('takes the offset modulo 2^32', () => {
    const rule = '-j HMARK --hmark-tuple src --hmark-mod 4 --hmark-rnd 0 --hmark-offset 0xfffffffe';
    const want = refMark({ src: '172.17.0.2', dst: '198.51.100.10', proto: 6, word: null, dstMask: 0, rnd: 0, mod: 4, offset: 0xfffffffe });
    expect(markOf(rule, pkt({ proto: 6, l4: tcp(1, 2) }))).toBe(want);
  });
});

describe('HMARK marks from the conntrack tuples (--hmark-tuple ct)', () => {
  const CT = '-j HMARK --hmark-tuple ct,src,dst,sport,dport --hmark-mod 7 --hmark-rnd 0x9 --hmark-offset 0x1000';
  /** A masqueraded UDP flow 172.17.0.2:51003 -> 198.51.100.10:9999, its reply to 198.51.100.1:51003. */
  const ctSkb = (proto: number, extra: Partial<Record<keyof Skb, number>> = {}): Skb => {
    const s = pkt({ proto: 17, l4: udp(51003, 9999) });
    Object.assign(s, {
      ct: 5,
      ctProto: proto,
      ctOrigSrc: hostWordOfAddress('172.17.0.2'),
      ctOrigDst: hostWordOfAddress('198.51.100.10'),
      ctOrigSport: 51003,
      ctOrigDport: 9999,
      ctReplSrc: hostWordOfAddress('198.51.100.10'),
      ctReplDst: hostWordOfAddress('198.51.100.1'),
      ctReplSport: 9999,
      ctReplDport: 51003,
      ...extra,
    });
    return s;
  };
  it('hashes the ORIGINAL source and the REPLY source with their ports', () => {
    const want = refMark({ src: '172.17.0.2', dst: '198.51.100.10', proto: 17, word: (51003 << 16) | 9999, portMask: 0xffffffff, rnd: 9, mod: 7, offset: 0x1000 });
    expect(markOf(CT, ctSkb(17))).toBe(want);
    // the packet's own header does not count: a reply of the same connection gets the same mark
    const reply = ctSkb(17);
    reply.meta.saddr = hostWordOfAddress('198.51.100.10');
    expect(markOf(CT, reply)).toBe(want);
  });
  it('uses the reply source, so a DNATed connection hashes its real server', () => {
    const s = ctSkb(6, { ctReplSrc: hostWordOfAddress('172.17.0.9'), ctReplSport: 80, ctOrigDport: 8080 });
    const want = refMark({ src: '172.17.0.2', dst: '172.17.0.9', proto: 6, word: (51003 << 16) | 80, portMask: 0xffffffff, rnd: 9, mod: 7, offset: 0x1000 });
    expect(markOf(CT, s)).toBe(want);
  });
  it('takes no ports for an ICMP connection', () => {
    const s = ctSkb(1, { ctOrigSport: 0x1234, ctReplSport: 0x1234 });
    expect(markOf(CT, s)).toBe(refMark({ src: '172.17.0.2', dst: '198.51.100.10', proto: 1, word: null, rnd: 9, mod: 7, offset: 0x1000 }));
  });
  it('leaves the mark alone without an entry or for an untracked packet', () => {
    expect(markOf(CT, ctSkb(17, { ct: NONE }))).toBe(0xdead0000);
    expect(markOf(CT, ctSkb(17, { ct: NONE, untracked: 1 }))).toBe(0xdead0000);
  });
});

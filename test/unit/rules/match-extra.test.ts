// SPI matches (esp, ah, ipcomp read from header bytes), cpu (the modeled CPU), quota (a byte budget that runs
// out for good) and ecn (IP ECN field, TCP ECE/CWR).

import { describe, expect, it } from 'vitest';
import { TestMatchEnv, evalMatch, matchOf, parseOne, skbOf } from './helpers.js';
import { BasicLoadContext } from '../../../src/netfilter/rules/module.js';
import { TcpFlag } from '../../../src/decode/meta.js';

/** A frame whose L4 header (at byte 34) starts with `l4`. */
function withL4(proto: number, l4: number[]): Record<string, unknown> {
  const data = new Uint8Array(34 + l4.length);
  data.set(l4, 34);
  return { data, caplen: data.length, ipProto: proto, l4Off: 34, l4Len: l4.length };
}

describe('esp, ah, ipcomp', () => {
  const env = new TestMatchEnv();
  it('esp: SPI in the first 4 bytes', () => {
    const pkt = skbOf(withL4(50, [0x00, 0x00, 0x10, 0x00, 0, 0, 0, 1]));
    expect(evalMatch(matchOf('-p esp -m esp --espspi 4096'), pkt, env)).toBe(true);
    expect(evalMatch(matchOf('-p esp -m esp --espspi 0:4095'), pkt, env)).toBe(false);
    expect(evalMatch(matchOf('-p esp -m esp ! --espspi 0:4095'), pkt, env)).toBe(true);
  });
  it('ah: SPI at byte 4 of a 12-byte header; a short header is hot-dropped', () => {
    const pkt = skbOf(withL4(51, [50, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    expect(evalMatch(matchOf('-p ah -m ah --ahspi 4294967295'), pkt, env)).toBe(true);
    const e = new TestMatchEnv();
    expect(evalMatch(matchOf('-p ah -m ah --ahspi 1'), skbOf(withL4(51, [50, 1, 0, 0, 0, 0, 0, 1])), e)).toBe(false);
    expect(e.hotdrop).toBe(1);
  });
  it('ipcomp: the 16-bit CPI at byte 2', () => {
    const pkt = skbOf(withL4(108, [4, 0, 0x00, 0x12]));
    expect(evalMatch(matchOf('-p ipcomp -m ipcomp --ipcompspi 18'), pkt, env)).toBe(true);
    expect(evalMatch(matchOf('-p ipcomp -m ipcomp --ipcompspi 19:100'), pkt, env)).toBe(false);
  });
  it('needs the protocol', () => {
    expect(parseOne('-m esp --espspi 1').issues[0]?.code).toBe('ERR_RULE_NEEDS_PROTOCOL');
  });
});

describe('cpu', () => {
  it('compares the modeled CPU', () => {
    const env = new TestMatchEnv();
    expect(evalMatch(matchOf('-m cpu --cpu 1'), skbOf({}, { vcpu: 1 }), env)).toBe(true);
    expect(evalMatch(matchOf('-m cpu ! --cpu 1'), skbOf({}, { vcpu: 1 }), env)).toBe(false);
  });
});

describe('quota', () => {
  it('spends the budget on matching packets and stays empty once a packet does not fit', () => {
    const call = matchOf('-m quota --quota 1000');
    const st = call.module.createState(call.data, new BasicLoadContext());
    const env = new TestMatchEnv();
    const run = (len: number): boolean => call.module.match(call.data, skbOf({ ipTotalLen: len }), env, st);
    expect([run(600), run(400), run(1), run(0)]).toEqual([true, true, false, true]);
    const inv = matchOf('-m quota ! --quota 100');
    const st2 = inv.module.createState(inv.data, new BasicLoadContext());
    expect(inv.module.match(inv.data, skbOf({ ipTotalLen: 60 }), env, st2)).toBe(false);
    expect(inv.module.match(inv.data, skbOf({ ipTotalLen: 60 }), env, st2)).toBe(true);
  });
});

describe('ecn', () => {
  const env = new TestMatchEnv();
  it('tests the IP ECN codepoint and the TCP ECE/CWR flags', () => {
    const pkt = skbOf({ ipTos: 0x02, tcpFlags: TcpFlag.SYN | TcpFlag.ECE });
    expect(evalMatch(matchOf('-m ecn --ecn-ip-ect 2'), pkt, env)).toBe(true);
    expect(evalMatch(matchOf('-p tcp -m ecn --ecn-tcp-ece ! --ecn-tcp-cwr'), pkt, env)).toBe(true);
    expect(evalMatch(matchOf('-p tcp -m ecn --ecn-tcp-cwr'), pkt, env)).toBe(false);
    expect(parseOne('-m ecn --ecn-tcp-cwr').issues[0]?.code).toBe('ERR_RULE_NEEDS_PROTOCOL');
  });
});

describe('string', () => {
  /** An IPv4 packet whose bytes from the IP header on are `ip` (l3 at offset 14). */
  const pkt = (ip: string) => {
    const body = Buffer.from(ip, 'latin1');
    const data = new Uint8Array(14 + body.length);
    data.set(body, 14);
    return skbOf({ data, caplen: data.length, l3Off: 14, ipTotalLen: body.length });
  };
  const env = new TestMatchEnv();
  it('finds the pattern wholly inside [from, to) counted from the IP header', () => {
    const p = pkt('HDR.....GET /index.html');
    expect(evalMatch(matchOf('-m string --string "GET /" --algo bm'), p, env)).toBe(true);
    expect(evalMatch(matchOf('-m string --string "get /" --algo kmp'), p, env)).toBe(false);
    expect(evalMatch(matchOf('-m string --string "get /" --algo kmp --icase'), p, env)).toBe(true);
    expect(evalMatch(matchOf('-m string --string "GET /" --algo bm --to 12'), p, env)).toBe(false);
    expect(evalMatch(matchOf('-m string --string "GET /" --algo bm --to 13'), p, env)).toBe(true);
    expect(evalMatch(matchOf('-m string --string "GET /" --algo bm --from 9'), p, env)).toBe(false);
    expect(evalMatch(matchOf('-m string ! --hex-string "|47 45 54|" --algo bm'), p, env)).toBe(false);
  });
  it('prints as iptables 1.8.9 does (escapes, hex for unprintable bytes, option order)', () => {
    const pr = (r: string): string => {
      const m = matchOf(r);
      return m.module.print(m.data, { family: 4 });
    };
    // restore syntax "a\"b\\\\c" is the 6 bytes a"b\\c; iptables-save escapes " and \ again
    expect(pr('-m string --string "a\\"b\\\\\\\\c" --algo bm')).toBe('--string "a\\"b\\\\\\\\c" --algo bm');
    expect(pr('-m string --hex-string "|41 42|C" --algo kmp --icase --from 10 --to 100')).toBe('--string "ABC" --algo kmp --from 10 --to 100 --icase');
    expect(pr('-m string --hex-string "|0a0a|" --algo bm')).toBe('--hex-string "|0a0a|" --algo bm');
  });
});

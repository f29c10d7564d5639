// -m u32, -m time and -m dccp inside whole rule walks, on the interpreter and the compiled engine: the
// rule each packet stops at, the capture clock reaching -m time through the match environment, and a dccp
// hotdrop dropping the packet.

import { describe, expect, it } from 'vitest';
import { Interner } from '../../../src/util/intern.js';
import { Hook, Verdict } from '../../../src/netfilter/skb.js';
import type { Skb } from '../../../src/netfilter/skb.js';
import { loadRuleSet } from '../../../src/netfilter/rules/parse.js';
import { loadEngine, runTable, RuleResult } from '../../../src/netfilter/rules/engine.js';
import type { LoadOptions } from '../../../src/netfilter/rules/engine.js';
import type { MatchEnv } from '../../../src/netfilter/rules/module.js';
import { RecordingTargetEnv, TestMatchEnv } from './helpers.js';
import { rawSkb } from './raw-ipv4.js';

const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp -m u32 --u32 "0>>22&0x3C@8>>15&0x1=0 && 0>>22&0x3C@0&0xFFFF=53" -j DROP
-A INPUT -p dccp -m dccp --dccp-types REQUEST --dccp-option 32 -j DROP
-A INPUT -p dccp -m dccp --dport 5000 -m time --timestart 22:00 --timestop 06:00 --weekdays Mon --contiguous -j DROP
-A INPUT -m u32 ! --u32 "0>>22&0x3C@100=0:0xFFFFFFFF" -j ACCEPT
-A INPUT -j DROP
COMMIT
`;

const variants: [string, Partial<LoadOptions>][] = [
  ['interpreted', { engine: 'interpreted' }],
  ['compiled', { engine: 'compiled' }],
  ['compiled, templates', { engine: 'compiled', compile: { literalMaxSlots: 0 } }],
];

const udp53 = (flags: number) => rawSkb({ proto: 17, l4: [0xd4, 0x31, 0, 53, 0, 20, 0, 0, 0x12, 0x34, flags >>> 8, flags & 0xff, 0, 1, 0, 0, 0, 0, 0, 0] });
/** DCCP REQUEST to port 5000 with options `opts` (one word), or DATA. */
const dccp = (type: number, opts: number[], doff?: number) => {
  const rest = type === 0 ? [0, 0, 0, 1, ...opts] : opts;
  const l4 = [0x13, 0x89, 0x13, 0x88, doff ?? (12 + rest.length) / 4, 0, 0, 0, type << 1, 0, 0, 1, ...rest];
  return rawSkb({ proto: 33, l4 });
};

describe.each(variants)('u32, time and dccp in a rule walk (%s)', (_name, extra) => {
  function walk(skb: Skb, isoNow: string): [number, number, number] {
    const interner = new Interner();
    const engine = loadEngine(loadRuleSet(RULES), { interner, ...extra });
    const t = Date.parse(`${isoNow}Z`) / 1000;
    // the capture began 10 s before; the packet is processed 10 s into the replay
    const match: MatchEnv = Object.assign(new TestMatchEnv(), { clock: { baseSec: t - 10, baseNsec: 0 } });
    skb.nowNs = 10e9;
    const res = new RuleResult();
    const v = runTable(engine.table('filter')!, Hook.LOCAL_IN, skb, { match, target: new RecordingTargetEnv() }, res);
    return [v, res.ruleId, res.hotdrop];
  }

  it('stops each packet at the rule the kernel would', () => {
    const mon = '2024-01-01T23:30:00';
    expect(walk(udp53(0x0100), mon)).toEqual([Verdict.DROP, 0, 0]); // a DNS query
    expect(walk(udp53(0x8180), mon)).toEqual([Verdict.ACCEPT, 3, 0]); // an answer, short: no word at +100, `!`
    const big = rawSkb({ proto: 17, l4: [0xd4, 0x31, 0, 54, 0, 112, 0, 0, ...new Array(104).fill(0)] });
    expect(walk(big, mon)).toEqual([Verdict.DROP, 4, 0]); // a word at +100 exists: `!` fails
    expect(walk(dccp(0, [32, 2, 0, 0]), '2024-01-03T12:00:00')).toEqual([Verdict.DROP, 1, 0]);
    expect(walk(dccp(2, []), mon)).toEqual([Verdict.DROP, 2, 0]);
    // Tuesday 05:00 belongs to Monday's night with --contiguous; Tuesday 23:00 does not
    expect(walk(dccp(2, []), '2024-01-02T05:00:00')).toEqual([Verdict.DROP, 2, 0]);
    expect(walk(dccp(2, []), '2024-01-02T23:00:00')).toEqual([Verdict.ACCEPT, 3, 0]);
  });

  it('drops at once when the dccp option walk hotdrops', () => {
    const [v, , hot] = walk(dccp(0, [32, 2, 0, 0], 3), '2024-01-03T12:00:00');
    expect(v).toBe(Verdict.DROP);
    expect(hot).toBe(1);
  });
});

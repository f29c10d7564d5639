// `-m hashlimit` (revision 3): libxt_hashlimit parse/print beyond the netfilter .t vectors, the kernel's
// checkentry rejections, and hashlimit_mt_common on crafted packets at HZ 250 (a jiffy is 4 ms).
//
// Kernel constants at HZ 250, used in the derivations below:
//   CREDITS_PER_JIFFY (rev 3) = POW2_BELOW64(2^64-1 / (250*86400)) = 2^39 = 549755813888
//   user2credits(u) = u * floor(250 * 2^39 / 10^6) = u * 137438953
//   CREDITS_PER_JIFFY_BYTES = POW2_BELOW32(0xFFFFFFFF / 250) = 2^24; a full byte bucket = 2^24 * 250 = 4194304000
//   msecs_to_jiffies(m) = ceil(m / 4)

import { describe, expect, it } from 'vitest';
import { TestMatchEnv, matchOf, parseOne, skbOf } from './helpers.js';
import { BasicLoadContext } from '../../../src/netfilter/rules/module.js';
import type { Skb } from '../../../src/netfilter/skb.js';
import { ruleBodyText } from '../../../src/netfilter/rules/print.js';
import { parseRuleSet } from '../../../src/netfilter/rules/parse.js';
import { Family } from '../../../src/netfilter/rules/ast.js';
import { IssueCode } from '../../../src/netfilter/rules/issues.js';
import { add64, big64, lt64, mul64, setBig64, setInt64, sub64 } from '../../../src/netfilter/rules/match/u64-words.js';

const sec = (s: number): number => Math.round(s * 1e9);

/** The saved text of `-m hashlimit ...` (without the leading `-m hashlimit `), or the issue codes. */
function saved(rule: string): string {
  const r = parseOne(`-m hashlimit ${rule}`);
  if (r.issues.length > 0) return `rejected: ${r.issues.map((i) => i.code).join(',')}`;
  return ruleBodyText(r.ruleset.rules[0]!, Family.IPV4).slice(' -m hashlimit '.length);
}

function rejected(rule: string): string[] {
  return parseOne(`-m hashlimit ${rule}`).issues.map((i) => `${i.code} ${i.message}`);
}

interface P {
  t: number;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  proto?: number;
  len?: number;
}

/** A packet at `t` seconds (TCP 10.0.0.1:1000 -> 192.168.1.1:80, 60 bytes unless told). */
function pkt(p: P): Skb {
  return skbOf(
    { saddr: p.src ?? '10.0.0.1', daddr: p.dst ?? '192.168.1.1', sport: p.sport ?? 1000, dport: p.dport ?? 80, ipProto: p.proto ?? 6, ipTotalLen: p.len ?? 60 },
    { nowNs: sec(p.t) },
  );
}

/** Load `-m hashlimit <opts>` into `ctx` (rules of one ctx share tables by name) and return its evaluator. */
function rule(opts: string, ctx: BasicLoadContext): (p: P, env?: TestMatchEnv) => boolean {
  const m = matchOf(`-m hashlimit ${opts}`);
  const st = m.module.createState(m.data, ctx);
  return (p, env = new TestMatchEnv()) => m.module.match(m.data, pkt(p), env, st);
}

describe('hashlimit: parse and save (libxt_hashlimit rev 3)', () => {
  it('--hashlimit is the old name of --hashlimit-upto, and ! swaps upto and above (XT_HASHLIMIT_INVERT)', () => {
    expect(saved('--hashlimit 1/sec --hashlimit-name x')).toBe('--hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name x');
    expect(saved('! --hashlimit-upto 1/sec --hashlimit-name x')).toBe('--hashlimit-above 1/sec --hashlimit-burst 5 --hashlimit-name x');
    expect(saved('! --hashlimit-above 1/sec --hashlimit-name x')).toBe('--hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name x');
  });

  it('prints the mode as srcip,srcport,dstip,dstport and masks that differ from 32', () => {
    expect(saved('--hashlimit-upto 1/sec --hashlimit-mode dstport|srcip,,dstip --hashlimit-dstmask 16 --hashlimit-srcmask 32 --hashlimit-name x')).toBe(
      '--hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-mode srcip,dstip,dstport --hashlimit-name x --hashlimit-dstmask 16',
    );
  });

  it('prints the largest even unit and the expiry when it differs from that unit', () => {
    // 120/min: avg = 60e6/120 = 500000 us = "2/sec" (quantum 1000 ms), but the expiry default was 60 s
    expect(saved('--hashlimit-upto 120/min --hashlimit-name x')).toBe('--hashlimit-upto 2/sec --hashlimit-burst 5 --hashlimit-name x --hashlimit-htable-expire 60000');
    // 7/min: 60e6/7 = 8571428; 3.6e9/8571428 = 420 is not < 3.6e9 % 8571428 = 240, 60e6/8571428 = 7 not < 4, sec too small
    expect(saved('--hashlimit-upto 7/min --hashlimit-name x')).toBe('--hashlimit-upto 7/min --hashlimit-burst 5 --hashlimit-name x');
    expect(saved('--hashlimit-upto 5/M --hashlimit-name x')).toBe('--hashlimit-upto 5/min --hashlimit-burst 5 --hashlimit-name x');
  });

  it('keeps gcinterval, max and rate-interval in save order', () => {
    expect(saved('--hashlimit-rate-interval 7 --hashlimit-rate-match --hashlimit-htable-gcinterval 500 --hashlimit-htable-max 10 --hashlimit-upto 3/sec --hashlimit-name x')).toBe(
      '--hashlimit-upto 3/sec --hashlimit-burst 5 --hashlimit-name x --hashlimit-htable-max 10 --hashlimit-htable-gcinterval 500 --hashlimit-rate-match --hashlimit-rate-interval 7',
    );
    // without --hashlimit-rate-match the interval is kept in the rule but never printed
    expect(saved('--hashlimit-upto 3/sec --hashlimit-name x --hashlimit-rate-interval 7')).toBe('--hashlimit-upto 3/sec --hashlimit-burst 5 --hashlimit-name x');
  });

  it('rate-match divides a packet avg by the unit, so 40/min saves as 40/sec with a 60 s interval', () => {
    // avg = 60e6/40 = 1500000, / mult 60 = 25000 = "40/sec"; interval = mult = 60; expire default 60000 != 1000
    expect(saved('--hashlimit-upto 40/min --hashlimit-name x --hashlimit-rate-match')).toBe(
      '--hashlimit-upto 40/sec --hashlimit-burst 5 --hashlimit-name x --hashlimit-htable-expire 60000 --hashlimit-rate-match --hashlimit-rate-interval 60',
    );
  });

  it('takes k and m burst suffixes (packets too) and rounds byte bursts up to whole rate units', () => {
    // 976k = 999424 <= 1000000
    expect(saved('--hashlimit-upto 1/sec --hashlimit-burst 976k --hashlimit-name x')).toBe('--hashlimit-upto 1/sec --hashlimit-burst 999424 --hashlimit-name x');
    // 4kb/s: cost 0xFFFFFFFF/257, 4096 bytes per unit; 5000 bytes -> 2 units (remainder) -> printed as 8192 = 8kb
    expect(saved('--hashlimit-upto 4kb/s --hashlimit-burst 5000 --hashlimit-name x')).toBe('--hashlimit-upto 4kb/s --hashlimit-burst 8kb --hashlimit-name x');
    // a byte rate without burst expires after 15 s, with one after 60 s
    expect(saved('--hashlimit-upto 4kb/s --hashlimit-name x --hashlimit-htable-expire 60000')).toBe('--hashlimit-upto 4kb/s --hashlimit-name x --hashlimit-htable-expire 60000');
  });

  it('prints a byte rate below 16 bytes/s as 0b/s (cost_to_bytes of UINT32_MAX / 1)', () => {
    expect(saved('--hashlimit-upto 10b/s --hashlimit-name x')).toBe('--hashlimit-upto 0b/s --hashlimit-name x');
  });

  it('reads KB/s as a packet rate: "b/s" is case-sensitive and the unit "s" is a second', () => {
    expect(saved('--hashlimit-upto 3KB/s --hashlimit-name x')).toBe('--hashlimit-upto 3/sec --hashlimit-burst 5 --hashlimit-name x');
  });

  it('keeps at most 254 bytes of the name (NAME_MAX - 1)', () => {
    expect(saved(`--hashlimit-upto 1/sec --hashlimit-name ${'n'.repeat(300)}`)).toBe(`--hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name ${'n'.repeat(254)}`);
  });

  it('saves the kernel-truncated htable size and max (HASHLIMIT_MAX_SIZE 1048576)', () => {
    expect(saved('--hashlimit-upto 1/sec --hashlimit-name x --hashlimit-htable-size 2000000 --hashlimit-htable-max 1048577')).toBe(
      '--hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name x --hashlimit-htable-size 1048576 --hashlimit-htable-max 1048576',
    );
  });

  it('uses 128-bit masks by default in ip6tables rule sets', () => {
    const six = `*filter\n-A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-srcmask 64 --hashlimit-dstmask 128 --hashlimit-name x\nCOMMIT\n`;
    const p = parseRuleSet(six, { family: Family.IPV6 });
    expect(p.issues).toEqual([]);
    expect(ruleBodyText(p.ruleset.rules[0]!, Family.IPV6)).toBe(' -m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name x --hashlimit-srcmask 64');
  });
});

describe('hashlimit: rejected rules', () => {
  const cases: Array<[string, string, string]> = [
    ['no rate', '--hashlimit-name x', IssueCode.MISSING_OPTION],
    ['no name', '--hashlimit-upto 1/sec', IssueCode.MISSING_OPTION],
    ['upto with above', '--hashlimit-upto 1/sec --hashlimit-above 2/sec --hashlimit-name x', IssueCode.CONFLICT],
    ['--hashlimit and --hashlimit-upto share one option', '--hashlimit 1/sec --hashlimit-upto 2/sec --hashlimit-name x', IssueCode.OPTION_REPEATED],
    ['unit beyond "second"', '--hashlimit-upto 1/seconds --hashlimit-name x', IssueCode.BAD_VALUE],
    ['zero rate', '--hashlimit-upto 0/sec --hashlimit-name x', IssueCode.BAD_VALUE],
    ['rate above 1e6/s (avg 0)', '--hashlimit-upto 1000001/sec --hashlimit-name x', IssueCode.BAD_VALUE],
    ['unknown mode word', '--hashlimit-upto 1/sec --hashlimit-mode srcip,none --hashlimit-name x', IssueCode.BAD_VALUE],
    ['packet burst above 1000000', '--hashlimit-upto 1/sec --hashlimit-burst 1000001 --hashlimit-name x', IssueCode.BAD_VALUE],
    ['suffixed packet burst above 1000000', '--hashlimit-upto 1/sec --hashlimit-burst 977k --hashlimit-name x', IssueCode.BAD_VALUE],
    ['zero burst', '--hashlimit-upto 1/sec --hashlimit-burst 0 --hashlimit-name x', IssueCode.BAD_VALUE],
    ['byte burst below one rate unit', '--hashlimit-upto 4kb/s --hashlimit-burst 4095 --hashlimit-name x', IssueCode.BAD_VALUE],
    ['mask beyond 32 bits', '--hashlimit-upto 1/sec --hashlimit-srcmask 33 --hashlimit-name x', IssueCode.BAD_VALUE],
    ['rate interval 0', '--hashlimit-upto 1/sec --hashlimit-rate-interval 0 --hashlimit-name x', IssueCode.BAD_VALUE],
    ['! on a non-invertible option', '--hashlimit-upto 1/sec ! --hashlimit-name x', IssueCode.INVERT],
    // kernel checkentry (xt_check_proc_name, hashlimit_mt_check_common)
    ['name with a slash', '--hashlimit-upto 1/sec --hashlimit-name a/b', IssueCode.BAD_VALUE],
    ['name ".."', '--hashlimit-upto 1/sec --hashlimit-name ..', IssueCode.BAD_VALUE],
    ['expire 0', '--hashlimit-upto 1/sec --hashlimit-name x --hashlimit-htable-expire 0', IssueCode.BAD_VALUE],
    ['gcinterval 0', '--hashlimit-upto 1/sec --hashlimit-name x --hashlimit-htable-gcinterval 0', IssueCode.BAD_VALUE],
    // rate-match: avg = 60e6/2e6 = 30, / mult 60 = 0 -> "invalid rate"
    ['rate-match avg 0', '--hashlimit-upto 2000000/min --hashlimit-name x --hashlimit-rate-match', IssueCode.BAD_VALUE],
    // 40000mb/s: bytes_to_cost(40000 << 20) = 0xFFFFFFFF / (2621440001) = 1; user2credits_byte(1) = 4194304000 >> 32 = 0
    ['byte rate too high for the kernel', '--hashlimit-upto 40000mb/s --hashlimit-name x', IssueCode.BAD_VALUE],
    // 1/day: cost = 86.4e9 * 137438953 = 11874725539200000000; twice that mod 2^64 = 5302707004690448384 < cost
    ['1/day burst 2 overflows', '--hashlimit-upto 1/day --hashlimit-burst 2 --hashlimit-name x', IssueCode.BAD_VALUE],
  ];
  for (const [name, opts, code] of cases) {
    it(name, () => {
      const got = rejected(opts);
      expect(got.length).toBeGreaterThan(0);
      expect(got[0]!.startsWith(code)).toBe(true);
    });
  }

  it('accepts 1/day burst 3: 3 * cost mod 2^64 = 17177432543890448384 is not below the cost', () => {
    expect(rejected('--hashlimit-upto 1/day --hashlimit-burst 3 --hashlimit-name x')).toEqual([]);
  });

  it('names the kernel messages', () => {
    expect(rejected('--hashlimit-name x')[0]).toContain('You have to specify --hashlimit');
    expect(rejected('--hashlimit-upto 4kb/s --hashlimit-burst 4095 --hashlimit-name x')[0]).toContain('burst cannot be smaller than 4096b');
    expect(rejected('--hashlimit-upto 1/day --hashlimit-burst 2 --hashlimit-name x')[0]).toContain('overflow, try lower: 86400000000/2');
  });
});

describe('hashlimit: token bucket in packet mode', () => {
  it('lets a burst through, then one packet per period, per source', () => {
    // expire 200000 ms = 50000 jiffies: no entry is collected during the test
    const m = rule('--hashlimit-upto 1/sec --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name t --hashlimit-htable-expire 200000', new BasicLoadContext());
    // cost = 1e6 * 137438953 = 137438953000000; a new entry starts at 2 * cost
    expect(m({ t: 0 })).toBe(true);
    expect(m({ t: 0 })).toBe(true);
    expect(m({ t: 0 })).toBe(false);
    // another source has its own full bucket
    expect(m({ t: 0, src: '10.0.0.2' })).toBe(true);
    expect(m({ t: 0, src: '10.0.0.2' })).toBe(true);
    // jiffy 249: 249 * 2^39 = 136889197658112 < cost
    expect(m({ t: 0.996 })).toBe(false);
    // jiffy 250: one more jiffy, 137438953472000 >= cost (472000 left)
    expect(m({ t: 1.0 })).toBe(true);
    expect(m({ t: 1.0 })).toBe(false);
    // 100 s later (25000 jiffies) the refill is capped at credit_cap = 2 * cost
    expect(m({ t: 101 })).toBe(true);
    expect(m({ t: 101 })).toBe(true);
    expect(m({ t: 101 })).toBe(false);
  });

  it('--hashlimit-above matches exactly the packets --hashlimit-upto would not', () => {
    const m = rule('--hashlimit-above 1/sec --hashlimit-burst 2 --hashlimit-name a', new BasicLoadContext());
    // the default expiry (1000 ms = 250 jiffies) and collector period (250 jiffies) keep the entry while a hit
    // at jiffy 249 refreshes it: 249 * 2^39 < cost is over the limit, the 250th jiffy brings it under
    expect([m({ t: 0 }), m({ t: 0 }), m({ t: 0 }), m({ t: 0.996 }), m({ t: 1 }), m({ t: 1 })]).toEqual([false, false, true, true, false, true]);
  });

  it('keeps the wrapped u64 credit of 1/day burst 3: one packet, not three', () => {
    // credit_cap = 3 * cost mod 2^64 = 17177432543890448384; minus one cost = 5302707004690448384 < cost
    const m = rule('--hashlimit-upto 1/day --hashlimit-burst 3 --hashlimit-name d', new BasicLoadContext());
    expect(m({ t: 0 })).toBe(true);
    expect(m({ t: 0 })).toBe(false);
  });

  it('wraps the refill delta * 2^39 at 2^25 jiffies (134217.728 s), as the u64 product does', () => {
    // expire 200000000 ms = 5e7 jiffies keeps the entry alive; credit 0 after the first packet
    const m = rule('--hashlimit-upto 1/sec --hashlimit-burst 1 --hashlimit-name w --hashlimit-htable-expire 200000000', new BasicLoadContext());
    expect(m({ t: 0 })).toBe(true);
    // delta = 2^25: 2^25 * 2^39 = 2^64 = 0 mod 2^64, so nothing is added
    expect(m({ t: 134217.728 })).toBe(false);
    // 250 jiffies later: 250 * 2^39 = 137438953472000 >= cost
    expect(m({ t: 134218.728 })).toBe(true);
  });
});

describe('hashlimit: byte mode', () => {
  // 4kb/s: avg = 0xFFFFFFFF / (4096 >> 4 + 1) = 16711935; burst 8kb = 2 refills (8192 / 4096)
  // cost per 16-byte chunk = 16711935 * 4194304000 >> 32 = 16320249
  // a 1000-byte packet: (1000 >> 4) + 1 = 63 chunks = 1028175687 credits; a full bucket is 4194304000
  it('spends the bucket, then each of the burst refills, then refills 2^24 per jiffy', () => {
    const m = rule('--hashlimit-upto 4kb/s --hashlimit-burst 8kb --hashlimit-name b', new BasicLoadContext());
    const at = (t: number): boolean => m({ t, len: 1000 });
    // 4 packets per bucket (4194304000 - 4 * 1028175687 = 81601252 left), 3 buckets (initial + 2 refills)
    const first = Array.from({ length: 13 }, () => at(0));
    expect(first).toEqual([...Array<boolean>(12).fill(true), false]);
    // jiffy 56: 81601252 + 56 * 2^24 = 1021125348 < 1028175687
    expect(at(0.224)).toBe(false);
    // jiffy 57: 1021125348 + 2^24 = 1037902564 >= 1028175687
    expect(at(0.228)).toBe(true);
  });

  it('caps one packet at a full bucket: a 64 KiB datagram needs all of it', () => {
    // 65535 bytes: 4096 chunks * 16320249 > 4194304000, so the cost is 4194304000; no burst, no refill
    const m = rule('--hashlimit-upto 4kb/s --hashlimit-name big', new BasicLoadContext());
    expect(m({ t: 0, len: 65535 })).toBe(true);
    expect(m({ t: 0, len: 20 })).toBe(false);
    // 1 s = 250 jiffies * 2^24 = 4194304000: full again
    expect(m({ t: 1, len: 65535 })).toBe(true);
  });
});

describe('hashlimit: keys', () => {
  it('srcip with --hashlimit-srcmask 24 groups a /24', () => {
    const m = rule('--hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-mode srcip --hashlimit-srcmask 24 --hashlimit-name s', new BasicLoadContext());
    expect(m({ t: 0, src: '10.0.0.1' })).toBe(true);
    expect(m({ t: 0, src: '10.0.0.200', dst: '1.2.3.4', dport: 22 })).toBe(false);
    expect(m({ t: 0, src: '10.0.1.1' })).toBe(true);
  });

  it('dstip,dstport with --hashlimit-dstmask 16 ignores the source', () => {
    const ctx = new BasicLoadContext();
    const m = rule('--hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-mode dstip,dstport --hashlimit-dstmask 16 --hashlimit-name d', ctx);
    expect(m({ t: 0, dst: '192.168.1.1', dport: 80 })).toBe(true);
    expect(m({ t: 0, dst: '192.168.2.2', dport: 80, src: '172.16.0.9', sport: 5555 })).toBe(false);
    expect(m({ t: 0, dst: '192.168.1.1', dport: 443 })).toBe(true);
    expect(m({ t: 0, dst: '192.169.1.1', dport: 80 })).toBe(true);
  });

  it('gives protocols without ports port 0 (proto_ports_offset < 0)', () => {
    const m = rule('--hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-mode dstip,dstport --hashlimit-name i', new BasicLoadContext());
    expect(m({ t: 0, proto: 1, dport: 0 })).toBe(true);
    expect(m({ t: 0, proto: 1, dport: 0 })).toBe(false);
    expect(m({ t: 0, proto: 6, dport: 0 })).toBe(false); // TCP port 0: the same key
    expect(m({ t: 0, proto: 6, dport: 80 })).toBe(true);
  });

  it('hot-drops a packet too short for the 4 port bytes', () => {
    const m = rule('--hashlimit-upto 1/sec --hashlimit-mode srcport --hashlimit-name h', new BasicLoadContext());
    const env = new TestMatchEnv();
    // IP total length 22 = 20-byte header + 2 bytes: skb_header_pointer(thoff + 0, 4) fails
    expect(m({ t: 0, len: 22 }, env)).toBe(false);
    expect(env.hotdrop).toBe(1);
    // without a port in the mode the ports are never read
    const n = rule('--hashlimit-upto 1/sec --hashlimit-mode srcip --hashlimit-name h2', new BasicLoadContext());
    const env2 = new TestMatchEnv();
    expect(n({ t: 0, len: 22 }, env2)).toBe(true);
    expect(env2.hotdrop).toBe(0);
  });

  it('reads the "ports" of a later fragment from its payload (the fragment offset is not checked)', () => {
    const m = matchOf('-m hashlimit --hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-mode dstport --hashlimit-name f');
    const st = m.module.createState(m.data, new BasicLoadContext());
    const data = new Uint8Array(60);
    data.set([0x12, 0x34, 0x00, 0x50], 34); // payload bytes where a header's ports would be: "dport" 80
    const frag = skbOf({ data, caplen: 60, daddr: '192.168.1.1', ipProto: 6, ipTotalLen: 40, fragOffset: 8, l4Off: -1, sport: 0, dport: 0 });
    const env = new TestMatchEnv();
    expect(m.module.match(m.data, frag, env, st)).toBe(true);
    // a first fragment / whole TCP packet to port 80 now finds that entry empty
    expect(m.module.match(m.data, pkt({ t: 0, dport: 80 }), env, st)).toBe(false);
    expect(m.module.match(m.data, pkt({ t: 0, dport: 81 }), env, st)).toBe(true);
  });
});

describe('hashlimit: --hashlimit-rate-match', () => {
  it('matches up to burst + rate packets per window and skips the window after one over the rate', () => {
    // 2/sec burst 1: avg 500000 (/ mult 1), interval 1; rate = 1e6 / 500000 = 2; burst = 1 + 2 = 3
    const m = rule('--hashlimit-upto 2/sec --hashlimit-burst 1 --hashlimit-name r --hashlimit-rate-match', new BasicLoadContext());
    expect([m({ t: 0 }), m({ t: 0 }), m({ t: 0 }), m({ t: 0 })]).toEqual([true, true, true, false]);
    // jiffy 249 < interval * HZ = 250 after the window start: same window, current_rate 5
    expect(m({ t: 0.996 })).toBe(false);
    // jiffy 250: window closes; 5 * 250 > 250 * 2, so prev_window = 1 and the next window never matches
    expect(m({ t: 1.0 })).toBe(false);
    expect(m({ t: 1.5 })).toBe(false);
    // jiffy 500: 2 packets in 250 jiffies: 2 * 250 > 250 * 2 is false, a clean window again
    expect(m({ t: 2.0 })).toBe(true);
  });

  it('counts bytes in byte mode: rate = (0xFFFFFFFF / avg - 1) << 4 bytes per second', () => {
    // 4kb/s: avg 16711935 -> rate (257 - 1) << 4 = 4096 bytes; no burst -> burst = rate = 4096
    const m = rule('--hashlimit-upto 4kb/s --hashlimit-name rb --hashlimit-rate-match', new BasicLoadContext());
    expect(m({ t: 0, len: 4000 })).toBe(true);
    expect(m({ t: 0, len: 96 })).toBe(true); // 4096 <= 4096
    expect(m({ t: 0, len: 1 })).toBe(false);
  });
});

describe('hashlimit: expiry and the garbage collector', () => {
  // 1/min burst 1: one packet per 60 s. expire 2000 ms = 500 jiffies, gcinterval 10000 ms = 2500 jiffies,
  // so the collector runs at jiffies 2500, 5000, ... after the load (jiffy 0).
  const opts = '--hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-mode srcip --hashlimit-name e --hashlimit-htable-gcinterval 10000 --hashlimit-htable-expire 2000';

  it('an expired entry the collector has not freed yet keeps its partial bucket', () => {
    const m = rule(opts, new BasicLoadContext());
    expect(m({ t: 0 })).toBe(true);
    // jiffy 2499: expired at 500, but no collection before 2500; credit 2499 * 2^39 < 60e6 * 137438953
    expect(m({ t: 9.996 })).toBe(false);
  });

  it('after a collection the source starts over with a full bucket', () => {
    const m = rule(opts, new BasicLoadContext());
    expect(m({ t: 0 })).toBe(true);
    // the collection due at jiffy 2500 runs before a packet of that jiffy: 2500 >= 500 frees the entry
    expect(m({ t: 10.0 })).toBe(true);
  });

  it('every hit pushes the expiry out, so a steady source is never collected', () => {
    const m = rule(opts, new BasicLoadContext());
    expect(m({ t: 0 })).toBe(true);
    for (const t of [1.5, 3, 4.5, 6, 7.5, 9]) expect(m({ t })).toBe(false);
    // last hit at jiffy 2250 -> expires 2750 > 2500: still there at 10 s with 2500 * 2^39 < 60e6 * 137438953
    expect(m({ t: 10.0 })).toBe(false);
  });

  it('frees an entry whose expiry equals the collection jiffy (time_after_eq)', () => {
    // expire 10000 ms = 2500 jiffies: created at 0, expires at 2500, collected at 2500
    const m = rule('--hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-name q --hashlimit-htable-gcinterval 10000 --hashlimit-htable-expire 10000', new BasicLoadContext());
    expect(m({ t: 0 })).toBe(true);
    expect(m({ t: 10.0 })).toBe(true);
    // expire 10004 ms = 2501 jiffies: still there at 2500
    const n = rule('--hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-name q --hashlimit-htable-gcinterval 10000 --hashlimit-htable-expire 10004', new BasicLoadContext());
    expect(n({ t: 0 })).toBe(true);
    expect(n({ t: 10.0 })).toBe(false);
  });
});

describe('hashlimit: table size', () => {
  it('hot-drops the packets of new keys once the table holds --hashlimit-htable-max entries', () => {
    const m = rule('--hashlimit-upto 1/sec --hashlimit-mode srcip --hashlimit-name full --hashlimit-htable-size 1 --hashlimit-htable-max 2', new BasicLoadContext());
    expect(m({ t: 0, src: '10.0.0.1' })).toBe(true);
    expect(m({ t: 0, src: '10.0.0.2' })).toBe(true);
    const env = new TestMatchEnv();
    expect(m({ t: 0, src: '10.0.0.3' }, env)).toBe(false);
    expect(env.hotdrop).toBe(1);
    // known keys still go through
    expect(m({ t: 0, src: '10.0.0.1' })).toBe(true);
    // default expire 1000 ms = 250 jiffies, gc every 250 jiffies: both collected at jiffy 250
    expect(m({ t: 1.0, src: '10.0.0.3' })).toBe(true);
  });

  it('raises a max below the size to the size (htable_create)', () => {
    const m = rule('--hashlimit-upto 1/sec --hashlimit-mode srcip --hashlimit-name grow --hashlimit-htable-size 4 --hashlimit-htable-max 2', new BasicLoadContext());
    const env = new TestMatchEnv();
    const got = [1, 2, 3, 4, 5].map((i) => m({ t: 0, src: `10.0.0.${i}` }, env));
    expect(got).toEqual([true, true, true, true, false]);
    expect(env.hotdrop).toBe(1);
  });

  it('grows its storage far beyond the first slots', () => {
    const m = rule('--hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-mode srcip --hashlimit-name many', new BasicLoadContext());
    // default max = 8 * 8192: 3000 sources all get their own full bucket, and keep it
    for (let i = 0; i < 3000; i++) expect(m({ t: 0, src: `10.${i >> 8}.${i & 255}.1` })).toBe(true);
    for (let i = 0; i < 3000; i += 97) expect(m({ t: 0, src: `10.${i >> 8}.${i & 255}.1` })).toBe(false);
  });
});

describe('hashlimit: rules sharing a name', () => {
  it('share the table of the first rule loaded: its key, burst and expiry, with their own upto/above', () => {
    const ctx = new BasicLoadContext();
    const a = rule('--hashlimit-upto 1/sec --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name shared', ctx);
    // burst 9 and dstip are ignored: htable_find_get returns the table rule a created
    const b = rule('--hashlimit-above 1/sec --hashlimit-burst 9 --hashlimit-mode dstip --hashlimit-name shared', ctx);
    expect(a({ t: 0, dst: '1.1.1.1' })).toBe(true); // credit 2 -> 1 cost
    expect(b({ t: 0, dst: '2.2.2.2' })).toBe(false); // same source entry: 1 -> 0, under the limit, not above
    expect(a({ t: 0, dst: '3.3.3.3' })).toBe(false);
    expect(b({ t: 0, dst: '4.4.4.4' })).toBe(true); // over the limit
    expect(b({ t: 0, src: '10.9.9.9', dst: '4.4.4.4' })).toBe(false); // a new source: full bucket of 2
  });

  it('keeps tables of different loads and names apart', () => {
    const ctx = new BasicLoadContext();
    const a = rule('--hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-name one', ctx);
    const b = rule('--hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-name two', ctx);
    const c = rule('--hashlimit-upto 1/min --hashlimit-burst 1 --hashlimit-name one', new BasicLoadContext());
    expect([a({ t: 0 }), a({ t: 0 }), b({ t: 0 }), c({ t: 0 })]).toEqual([true, false, true, true]);
  });
});

describe('u64 words', () => {
  const w = new Uint32Array(8);
  const samples = [0n, 1n, 0xffffffffn, 0x100000000n, 137438953000000n, 11874725539200000000n, 2n ** 64n - 1n, 0x8000000080000000n, 123456789012345678n];
  it('add, sub, mul and compare as C u64 (checked against BigInt arithmetic mod 2^64)', () => {
    for (const x of samples) {
      for (const y of samples) {
        setBig64(w, 0, x);
        setBig64(w, 2, y);
        add64(w, 4, w, 0, w, 2);
        expect(big64(w, 4)).toBe(BigInt.asUintN(64, x + y));
        sub64(w, 4, w, 0, w, 2);
        expect(big64(w, 4)).toBe(BigInt.asUintN(64, x - y));
        mul64(w, 4, w, 0, w, 2);
        expect(big64(w, 4)).toBe(BigInt.asUintN(64, x * y));
        expect(lt64(w, 0, w, 2)).toBe(x < y);
      }
    }
  });
  it('stores negative differences as their u64 wrap', () => {
    setInt64(w, 0, -1);
    expect(big64(w, 0)).toBe(2n ** 64n - 1n);
    setInt64(w, 0, -(2 ** 32));
    expect(big64(w, 0)).toBe(2n ** 64n - 2n ** 32n);
    setInt64(w, 0, 2 ** 52 + 3);
    expect(big64(w, 0)).toBe(2n ** 52n + 3n);
  });
});

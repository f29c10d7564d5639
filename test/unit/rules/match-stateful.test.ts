// Matches with per-rule state on capture time: limit (xt_limit.c token bucket in jiffies, HZ 250),
// statistic (random draws and the nth counter), recent (shared named lists, --set/--rcheck/--update,
// --seconds/--hitcount/--reap) and physdev (bridge ports, cached by interface id).

import { describe, expect, it } from 'vitest';
import { TestMatchEnv, matchOf, ruleOf, skbOf } from './helpers.js';
import { BasicLoadContext } from '../../../src/netfilter/rules/module.js';
import type { MatchCall } from '../../../src/netfilter/rules/ast.js';
import { creditsPerJiffy, user2credits } from '../../../src/netfilter/rules/match/xt_limit.js';

/** Bind a match to one state object, as the engine does at load. */
function bound(m: MatchCall, ctx = new BasicLoadContext()): (skbFields: Record<string, number>, env?: TestMatchEnv) => boolean {
  const st = m.module.createState(m.data, ctx);
  return (f, env = new TestMatchEnv()) => m.module.match(m.data, skbOf({ saddr: '10.0.0.1' }, f), env, st);
}

const sec = (s: number): number => Math.round(s * 1e9);

describe('limit', () => {
  it('has the kernel constants for HZ 250', () => {
    expect(creditsPerJiffy(250)).toBe(128);
    expect(creditsPerJiffy(1000)).toBe(32);
    // 1/sec: avg 10000 → 10000 * 250 * 128 / 10000
    expect(user2credits(10000, 250)).toBe(32000);
  });
  it('starts with a full bucket of `burst` packets and refills one per period', () => {
    const m = bound(matchOf('-m limit --limit 1/sec --limit-burst 2'));
    expect(m({ nowNs: 0 })).toBe(true);
    expect(m({ nowNs: 0 })).toBe(true);
    expect(m({ nowNs: 0 })).toBe(false);
    expect(m({ nowNs: sec(0.5) })).toBe(false); // half a token
    expect(m({ nowNs: sec(1.0) })).toBe(true);
    expect(m({ nowNs: sec(1.0) })).toBe(false);
    expect(m({ nowNs: sec(100) })).toBe(true); // refill is capped at the burst
    expect(m({ nowNs: sec(100) })).toBe(true);
    expect(m({ nowNs: sec(100) })).toBe(false);
  });
  it('counts time in whole jiffies (4 ms at HZ 250)', () => {
    const m = bound(matchOf('-m limit --limit 250/sec --limit-burst 1'));
    expect(m({ nowNs: 0 })).toBe(true);
    expect(m({ nowNs: 3_999_999 })).toBe(false);
    expect(m({ nowNs: 4_000_000 })).toBe(true);
  });
  it('rejects a zero burst at load', () => {
    expect(() => ruleOf('-m limit --limit 1/sec --limit-burst 0')).toThrow(/Overflow/);
  });
});

describe('statistic', () => {
  it('random: (get_random_u32() & 0x7fffffff) < round(p * 2^31)', () => {
    const m = bound(matchOf('-m statistic --mode random --probability 0.5'));
    const env = new TestMatchEnv({ randoms: [0x3fffffff, 0x40000000, 0xc0000000, 0x80000000] });
    expect([m({}, env), m({}, env), m({}, env), m({}, env)]).toEqual([true, false, false, true]);
    const inv = bound(matchOf('-m statistic --mode random ! --probability 0.5'));
    expect(inv({}, new TestMatchEnv({ randoms: [0] }))).toBe(false);
  });
  it('nth: --every 3 --packet 0 matches packets 1, 4, 7', () => {
    const m = bound(matchOf('-m statistic --mode nth --every 3 --packet 0'));
    expect(Array.from({ length: 7 }, () => m({}))).toEqual([true, false, false, true, false, false, true]);
  });
  it('nth: --packet 1 starts one later; each load has its own counter', () => {
    const call = matchOf('-m statistic --mode nth --every 3 --packet 1');
    const a = bound(call);
    expect(Array.from({ length: 5 }, () => a({}))).toEqual([false, true, false, false, true]);
    const b = bound(call);
    expect(b({})).toBe(false);
    expect(b({})).toBe(true);
  });
});

describe('recent', () => {
  // kube-proxy ClientIP affinity: --rcheck in the service chain, --set in the endpoint chain
  const ctx = new BasicLoadContext();
  const check = bound(matchOf('-m recent --rcheck --seconds 10 --reap --name KUBE-SEP-A --mask 255.255.255.255 --rsource'), ctx);
  const set = bound(matchOf('-m recent --set --name KUBE-SEP-A --mask 255.255.255.255 --rsource'), ctx);
  it('shares a named list between rules of one load', () => {
    expect(check({ nowNs: 0 })).toBe(false);
    expect(set({ nowNs: sec(1) })).toBe(true);
    expect(check({ nowNs: sec(5) })).toBe(true);
    expect(check({ nowNs: sec(11) })).toBe(true); // last seen at 1 s, 10 s ago exactly
    expect(check({ nowNs: sec(11.1) })).toBe(false); // stale: and reaped
    expect(set({ nowNs: sec(12) })).toBe(true);
    expect(check({ nowNs: sec(13) })).toBe(true);
  });
  it('keeps separate lists per name and per load', () => {
    const other = bound(matchOf('-m recent --rcheck --name OTHER'), ctx);
    expect(other({ nowNs: sec(13) })).toBe(false);
    const fresh = bound(matchOf('-m recent --rcheck --name KUBE-SEP-A'));
    expect(fresh({ nowNs: sec(13) })).toBe(false);
  });
  it('--update with --hitcount counts time stamps within --seconds', () => {
    const c = new BasicLoadContext();
    const mark = bound(matchOf('-m recent --set --name SSH'), c);
    const upd = bound(matchOf('-m recent --update --seconds 60 --hitcount 3 --name SSH'), c);
    mark({ nowNs: sec(0) });
    expect(upd({ nowNs: sec(1) })).toBe(false); // one stamp
    mark({ nowNs: sec(2) });
    mark({ nowNs: sec(3) });
    expect(upd({ nowNs: sec(4) })).toBe(true); // three stamps → hit, and updated
    expect(upd({ nowNs: sec(100) })).toBe(false); // all older than 60 s
  });
  it('--rdest keys on the destination and --mask groups addresses', () => {
    const c = new BasicLoadContext();
    const set = bound(matchOf('-m recent --set --name N --mask 255.255.255.0 --rdest'), c);
    const chk = bound(matchOf('-m recent --rcheck --name N --mask 255.255.255.0 --rdest'), c);
    set({ nowNs: 0 }); // destination 0.0.0.0: list entry 0.0.0.0/24
    const e = new TestMatchEnv();
    const call = matchOf('-m recent --rcheck --name N --mask 255.255.255.0 --rdest');
    const st = call.module.createState(call.data, c);
    expect(call.module.match(call.data, skbOf({ daddr: '0.0.0.77' }), e, st)).toBe(true);
    expect(call.module.match(call.data, skbOf({ daddr: '0.0.1.1' }), e, st)).toBe(false);
    expect(chk({ nowNs: 0 })).toBe(true);
  });
});

describe('physdev', () => {
  const env = new TestMatchEnv({ names: ['docker0', 'vethc1', 'vethc2', 'eth0'] });
  const run = (rule: string, f: Record<string, number>): boolean => bound(matchOf(rule, 'filter', 'FORWARD'))(f, env);
  it('matches bridge ports by name with + wildcards', () => {
    const bridged = { bridged: 1, physIn: 1, physOut: 2 };
    expect(run('-m physdev --physdev-in vethc1', bridged)).toBe(true);
    expect(run('-m physdev --physdev-in veth+ --physdev-out vethc2', bridged)).toBe(true);
    expect(run('-m physdev ! --physdev-out veth+', bridged)).toBe(false);
    expect(run('-m physdev --physdev-is-bridged', bridged)).toBe(true);
    expect(run('-m physdev --physdev-is-bridged', { bridged: 1, physIn: 1, physOut: -1 })).toBe(false);
  });
  it('without bridge information matches only when every option is inverted', () => {
    expect(run('-m physdev --physdev-in vethc1', { bridged: 0 })).toBe(false);
    expect(run('-m physdev ! --physdev-is-bridged', { bridged: 0 })).toBe(true);
    expect(run('-m physdev ! --physdev-is-in ! --physdev-is-out', { bridged: 0 })).toBe(true);
  });
  it('skips --physdev-in when the packet has no input port', () => {
    expect(run('-m physdev --physdev-in vethc1', { bridged: 1, physIn: -1, physOut: 2 })).toBe(true);
  });
});

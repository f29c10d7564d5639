// -m conntrack and -m state against xt_conntrack.c conntrack_mt: state bits from ctinfo (both directions
// share a bit), INVALID without an entry, UNTRACKED for notrack, virtual SNAT/DNAT from the status, and
// every other option failing without an entry.

import { describe, expect, it } from 'vitest';
import { TestMatchEnv, evalMatch, matchOf, skbOf } from './helpers.js';
import { CtInfo, CtStatus } from '../../../src/netfilter/skb.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';

const env = new TestMatchEnv();
const ct = (info: number, extra: Record<string, number> = {}) => skbOf({}, { ct: 7, ctInfo: info, ...extra });
const run = (rule: string, skb = ct(CtInfo.NEW)): boolean => evalMatch(matchOf(rule), skb, env);

describe('conntrack --ctstate', () => {
  it('maps ctinfo to NEW / ESTABLISHED / RELATED, replies included', () => {
    expect(run('-m conntrack --ctstate NEW', ct(CtInfo.NEW))).toBe(true);
    expect(run('-m conntrack --ctstate ESTABLISHED', ct(CtInfo.ESTABLISHED_REPLY))).toBe(true);
    expect(run('-m conntrack --ctstate RELATED', ct(CtInfo.RELATED_REPLY))).toBe(true);
    expect(run('-m conntrack --ctstate RELATED,ESTABLISHED', ct(CtInfo.NEW))).toBe(false);
  });
  it('is INVALID without an entry and UNTRACKED for notrack', () => {
    expect(run('-m conntrack --ctstate INVALID', skbOf({}, { ct: -1 }))).toBe(true);
    expect(run('-m conntrack ! --ctstate INVALID', skbOf({}, { ct: -1 }))).toBe(false);
    expect(run('-m conntrack --ctstate UNTRACKED', skbOf({}, { ct: -1, untracked: 1 }))).toBe(true);
    expect(run('-m conntrack --ctstate INVALID', skbOf({}, { ct: -1, untracked: 1 }))).toBe(false);
  });
  it('adds SNAT/DNAT when NAT changed the tuple', () => {
    const dnat = ct(CtInfo.ESTABLISHED, { ctStatus: CtStatus.DST_NAT | CtStatus.CONFIRMED });
    expect(run('-m conntrack --ctstate DNAT', dnat)).toBe(true);
    expect(run('-m conntrack --ctstate SNAT', dnat)).toBe(false);
    // kube-proxy KUBE-FIREWALL: ! --ctstate RELATED,ESTABLISHED,DNAT
    expect(run('-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT', ct(CtInfo.NEW, { ctStatus: CtStatus.DST_NAT }))).toBe(false);
    expect(run('-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT', ct(CtInfo.NEW))).toBe(true);
  });
});

describe('conntrack tuple, status, direction, expiry', () => {
  const entry = ct(CtInfo.ESTABLISHED_REPLY, {
    ctProto: 6,
    ctOrigSrc: parseIpv4('10.244.1.5'),
    ctOrigDst: parseIpv4('10.96.0.10'),
    ctOrigSport: 40000,
    ctOrigDport: 80,
    ctReplSrc: parseIpv4('10.244.2.6'),
    ctReplDst: parseIpv4('10.244.1.5'),
    ctReplSport: 8080,
    ctReplDport: 40000,
    ctStatus: CtStatus.SEEN_REPLY | CtStatus.ASSURED | CtStatus.CONFIRMED,
    ctExpiresNs: 65_500_000_000,
    nowNs: 5_000_000_000,
  });
  it('compares the stored tuples (pre-DNAT destination for --ctorigdst)', () => {
    expect(run('-m conntrack --ctorigdst 10.96.0.10 --ctproto tcp --ctorigdstport 80', entry)).toBe(true);
    expect(run('-m conntrack --ctreplsrc 10.244.2.0/24 --ctreplsrcport 8000:9000', entry)).toBe(true);
    expect(run('-m conntrack ! --ctorigsrc 10.244.1.5', entry)).toBe(false);
    expect(run('-m conntrack --ctproto udp', entry)).toBe(false);
  });
  it('keeps the address unmasked as iptables does: a host address with a short mask never matches', () => {
    expect(run('-m conntrack --ctorigdst 10.96.0.10/24', entry)).toBe(false);
    expect(run('-m conntrack --ctorigdst 10.96.0.0/24', entry)).toBe(true);
  });
  it('tests status bits, direction and whole seconds left', () => {
    expect(run('-m conntrack --ctstatus ASSURED', entry)).toBe(true);
    expect(run('-m conntrack --ctstatus EXPECTED', entry)).toBe(false);
    expect(run('-m conntrack --ctstatus NONE', entry)).toBe(false);
    expect(run('-m conntrack --ctdir REPLY', entry)).toBe(true);
    expect(run('-m conntrack --ctdir ORIGINAL', entry)).toBe(false);
    // 60.5 s left → 60
    expect(run('-m conntrack --ctexpire 60', entry)).toBe(true);
    expect(run('-m conntrack --ctexpire 61:100', entry)).toBe(false);
  });
  it('fails every non-state option without an entry', () => {
    const none = skbOf({}, { ct: -1 });
    expect(run('-m conntrack ! --ctproto tcp', none)).toBe(false);
    expect(run('-m conntrack --ctstate INVALID --ctdir ORIGINAL', none)).toBe(true);
  });
});

describe('state', () => {
  it('uses the same bits without SNAT/DNAT and prints --state', () => {
    const m = matchOf('-m state --state ESTABLISHED,RELATED');
    expect(m.module.print(m.data, { family: 4 })).toBe('--state RELATED,ESTABLISHED');
    expect(evalMatch(m, ct(CtInfo.RELATED), env)).toBe(true);
    expect(evalMatch(m, ct(CtInfo.NEW), env)).toBe(false);
    expect(evalMatch(matchOf('-m state ! --state NEW'), skbOf({}, { ct: -1 }), env)).toBe(true);
  });
});

// Every issue code of the rule parser, with the line and column it points at, and the guarantee that all
// issues of a file are reported (not only the first).

import { describe, expect, it } from 'vitest';
import { loadRuleSet, parseRuleSet } from '../../../src/netfilter/rules/parse.js';
import { IssueCode, RuleSetError } from '../../../src/netfilter/rules/issues.js';
import { IpSetFile, RangeSet } from '../../../src/netfilter/rules/ipset-parse.js';

function issues(text: string): Array<[string, number, number]> {
  return parseRuleSet(text).issues.map((i) => [i.code, i.line ?? 0, i.column ?? 0]);
}

const F = (body: string): string => `*filter\n${body}\nCOMMIT\n`;

describe('rule set issue codes with line and column', () => {
  const cases: Array<[string, string, string, number, number]> = [
    // [name, file text, code, line, column]
    ['unterminated quote', F('-A INPUT -m comment --comment "x'), IssueCode.QUOTE, 2, 31],
    ['unknown table', '*filters\nCOMMIT\n', IssueCode.UNKNOWN_TABLE, 1, 2],
    ['table twice', '*nat\nCOMMIT\n*nat\nCOMMIT\n', IssueCode.TABLE_REPEATED, 3, 2],
    ['rule outside a table', '-A INPUT -j ACCEPT\n', IssueCode.NO_TABLE, 1, 1],
    ['COMMIT outside a table', 'COMMIT\n', IssueCode.NO_TABLE, 1, 1],
    ['section not committed at EOF', '*filter\n-A INPUT -j ACCEPT\n', IssueCode.NO_COMMIT, 1, 1],
    ['section not committed before the next', '*filter\n*nat\nCOMMIT\n', IssueCode.NO_COMMIT, 2, 1],
    ['bad counters prefix', F('[1:x] -A INPUT -j ACCEPT'), IssueCode.COUNTERS, 2, 1],
    ['counters without ]', F('[1:2 -A INPUT'), IssueCode.COUNTERS, 2, 1],
    ['bad policy counters', F(':INPUT ACCEPT [1:]'), IssueCode.COUNTERS, 2, 15],
    ['-c without byte counter', F('-A INPUT -c 5'), IssueCode.COUNTERS, 2, 10],
    ['chain name too long', F(`:${'C'.repeat(29)} - [0:0]`), IssueCode.CHAIN_NAME, 2, 2],
    ['chain named like a verdict', F(':ACCEPT - [0:0]'), IssueCode.CHAIN_NAME, 2, 2],
    ['chain declared twice', F(':X - [0:0]\n:X - [0:0]'), IssueCode.CHAIN_EXISTS, 3, 2],
    ['policy on a user chain', F(':X DROP [0:0]'), IssueCode.POLICY, 2, 4],
    ['policy that is not ACCEPT/DROP', F(':INPUT REJECT [0:0]'), IssueCode.POLICY, 2, 8],
    ['extra word on a chain line', F(':INPUT ACCEPT [0:0] x'), IssueCode.SYNTAX, 2, 21],
    ['insert command', F('-I INPUT -j ACCEPT'), IssueCode.COMMAND, 2, 1],
    ['rule without -A', F('-j ACCEPT'), IssueCode.COMMAND, 2, 1],
    ['-A to an undeclared chain', F('-A NOPE -j ACCEPT'), IssueCode.UNDECLARED_CHAIN, 2, 4],
    ['-j to an unknown chain', F('-A INPUT -j NOPE'), IssueCode.UNKNOWN_CHAIN, 2, 10],
    ['-g to a builtin chain', F('-A INPUT -g FORWARD'), IssueCode.JUMP_BUILTIN, 2, 10],
    ['jump loop', F(':A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A'), IssueCode.LOOP, 6, 6],
    ['-t inside restore', F('-A INPUT -t nat -j ACCEPT'), IssueCode.TABLE_OPTION, 2, 10],
    ['stray word', F('-A INPUT foo'), IssueCode.BAD_ARGUMENT, 2, 10],
    ['unknown option', F('-A INPUT --nope 1'), IssueCode.UNKNOWN_OPTION, 2, 10],
    ['ambiguous prefix', F('-A INPUT -p tcp --d 22'), IssueCode.AMBIGUOUS_OPTION, 2, 17],
    ['option given twice', F('-A INPUT -p tcp -p udp'), IssueCode.OPTION_REPEATED, 2, 17],
    ['! before -j', F('-A INPUT ! -j ACCEPT'), IssueCode.INVERT, 2, 10],
    ['dangling !', F('-A INPUT -p tcp !'), IssueCode.INVERT, 2, 17],
    ['! before a non-invertible option', F('-A INPUT -m comment ! --comment x'), IssueCode.INVERT, 2, 21],
    ['missing value', F('-A INPUT -p tcp --dport'), IssueCode.MISSING_VALUE, 2, 17],
    ['bad value', F('-A INPUT -p tcp --dport 70000'), IssueCode.BAD_VALUE, 2, 17],
    ['missing mandatory option', F('-A INPUT -m mark'), IssueCode.MISSING_OPTION, 2, 10],
    ['conflicting options', F('-A INPUT -p tcp --syn --tcp-flags SYN SYN'), IssueCode.CONFLICT, 2, 23],
    ['unsupported match', F('-A INPUT -m osf --genre Linux'), IssueCode.UNSUPPORTED_MATCH, 2, 10],
    ['unsupported target', F('-A INPUT -j TEE --gateway 192.0.2.1'), IssueCode.UNSUPPORTED_TARGET, 2, 10],
    ['unknown match', F('-A INPUT -m nosuchmatch'), IssueCode.UNKNOWN_MATCH, 2, 10],
    ['bad address', F('-A INPUT -s 1.2.3.4/40'), IssueCode.BAD_ADDRESS, 2, 10],
    ['host name', F('-A INPUT -d example.com'), IssueCode.BAD_ADDRESS, 2, 10],
    ['interface too long', F('-A INPUT -i abcdefghijklmnop'), IssueCode.BAD_INTERFACE, 2, 10],
    ['unknown protocol', F('-A INPUT -p bogus'), IssueCode.BAD_PROTOCOL, 2, 10],
    ['! -p all', F('-A INPUT ! -p all'), IssueCode.BAD_PROTOCOL, 2, 10],
    ['-o in INPUT', F('-A INPUT -o eth0'), IssueCode.IFACE_HOOK, 2, 1],
    ['target in the wrong table', '*nat\n-A PREROUTING -j REJECT\nCOMMIT\n', IssueCode.WRONG_TABLE, 2, 15],
    ['target reached from the wrong hook', '*nat\n:X - [0:0]\n-A PREROUTING -j X\n-A X -j MASQUERADE\nCOMMIT\n', IssueCode.WRONG_HOOK, 4, 6],
    ['match needs -p', F('-A INPUT -m tcp --dport 1'), IssueCode.NEEDS_PROTOCOL, 2, 10],
    ['IPv6 address in an IPv4 set', '# Generated by iptables-save v1.8.9\n*filter\n-A INPUT -s fe80::1\nCOMMIT\n', IssueCode.FAMILY, 3, 10],
    ['unknown ipset', F('-A INPUT -m set --match-set blocked src'), IssueCode.IPSET_UNKNOWN, 2, 17],
  ];
  for (const [name, text, code, line, column] of cases) {
    it(`${name}: ${code} at ${line}:${column}`, () => {
      const got = issues(text);
      expect(got).toContainEqual([code, line, column]);
    });
  }

  it('every code except the cap is exercised above', () => {
    const used = new Set(cases.map((c) => c[2]));
    const all = Object.values(IssueCode).filter((c) => c !== IssueCode.TOO_MANY);
    expect(all.filter((c) => !used.has(c))).toEqual([]);
  });

  it('caps the list and says how many were left out', () => {
    const body = Array.from({ length: 30 }, () => '-A INPUT -j NOPE').join('\n');
    const r = parseRuleSet(F(body), { maxIssues: 10 });
    expect(r.issues.length).toBe(11);
    const last = r.issues.find((i) => i.code === IssueCode.TOO_MANY);
    expect(last?.message).toBe('20 further issues were not listed');
  });
});

describe('all issues of a file are reported', () => {
  it('lists every bad rule, in line order, with its text', () => {
    const text = F(['-A INPUT -p tcp --dport 99999', '-A INPUT -j ACCEPT', '-A INPUT -j NOPE', '-A FORWARD -s 300.1.1.1'].join('\n'));
    const r = parseRuleSet(text, { path: 'x.rules' });
    expect(r.issues.map((i) => [i.line, i.code, i.text])).toEqual([
      [2, IssueCode.BAD_VALUE, '-A INPUT -p tcp --dport 99999'],
      [4, IssueCode.UNKNOWN_CHAIN, '-A INPUT -j NOPE'],
      [5, IssueCode.BAD_ADDRESS, '-A FORWARD -s 300.1.1.1'],
    ]);
    expect(r.issues[0]!.path).toBe('x.rules');
    // the good rule still loaded
    expect(r.ruleset.rules.map((x) => x.line)).toEqual([3]);
  });

  it('loadRuleSet throws one RuleSetError carrying them all', () => {
    try {
      loadRuleSet(F('-A INPUT -j NOPE\n-A INPUT -j NOPE2'), { path: 'y' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RuleSetError);
      const err = e as RuleSetError;
      expect(err.issues.length).toBe(2);
      expect(err.code).toBe(IssueCode.UNKNOWN_CHAIN);
      expect(err.describe()).toContain('y: line 2, column 10');
      expect(err.message).toContain('(and 1 more issue)');
    }
  });

  it('accepts a named set when its contents are supplied', () => {
    const sets = new IpSetFile();
    sets.put(new RangeSet('blocked', 'hash:ip', [0], 4));
    const r = parseRuleSet(F('-A INPUT -m set --match-set blocked src -j DROP'), { ipsets: sets });
    expect(r.issues).toEqual([]);
  });
});

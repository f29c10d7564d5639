// -m cluster, -m helper and -m nfacct: parse and iptables-save text as libxt_cluster.c, libxt_helper.c and
// libxt_nfacct.c have them, their rejection messages, and evaluation: cluster against node numbers computed
// here from the kernel's formulas (jhash_1word of the raw __be32 original source, reciprocal_scale), its
// pkt_type mangling and its answer without conntrack; helper's invert for connections without a master.

import { describe, expect, it } from 'vitest';
import { TestMatchEnv, evalMatch, matchOf, parseOne, ruleOf, skbOf } from './helpers.js';
import { hostWordOfAddress, leWordOfAddress, refJhash1Word, refJhash3Words, refReciprocalScale } from './jhash-reference.js';
import { ruleBodyText } from '../../../src/netfilter/rules/print.js';
import { Family } from '../../../src/netfilter/rules/ast.js';
import { NONE } from '../../../src/netfilter/skb.js';
import { jhash1Word, jhash2, jhash3Words } from '../../../src/netfilter/nat/jhash.js';
import { clusterNode } from '../../../src/netfilter/rules/match/xt_cluster.js';
import { nfacctMatch, nfacctMatchWith } from '../../../src/netfilter/rules/match/xt_nfacct.js';
import { ModuleRegistry } from '../../../src/netfilter/rules/module.js';
import { BUILTIN_MATCHES } from '../../../src/netfilter/rules/builtin.js';
import { parseRuleSet } from '../../../src/netfilter/rules/parse.js';

const saved = (rule: string, table = 'mangle', chain = 'PREROUTING'): string => ruleBodyText(ruleOf(rule, table, chain), Family.IPV4).slice(1);

function rejected(rule: string, table = 'mangle', chain = 'PREROUTING'): string {
  const i = parseOne(rule, table, chain).issues[0];
  if (i === undefined) throw new Error(`accepted: ${rule}`);
  return `${i.code} ${i.message}`;
}

const ADDRS = ['172.17.0.2', '172.17.0.3', '10.0.0.1', '192.0.2.200', '198.51.100.10', '255.255.255.255', '0.0.0.0', '203.0.113.77'];
const SEEDS = [0, 0xdeadbeef, 0xfeedcafe, 0x12345678];

/** The node (0-based) the kernel gives connections from `src`: reciprocal_scale(jhash_1word(raw be32, seed), n). */
const expectedNode = (src: string, seed: number, n: number): number => refReciprocalScale(refJhash1Word(leWordOfAddress(src), seed), n);

/** A packet of a tracked connection whose ORIGINAL source is `src` (the packet itself may be a reply). */
const tracked = (src: string, extra: Record<string, number> = {}) => skbOf({ saddr: '198.51.100.10', daddr: '172.17.0.2' }, { ct: 7, ctOrigSrc: hostWordOfAddress(src), ...extra });

describe('the jhash word reference', () => {
  it('agrees with jhash2 on one and three words, as jhash.h makes them equal', () => {
    for (const a of [0, 1, 0xdeadbeef, 0x80000000, 0xffffffff]) {
      for (const iv of SEEDS) {
        expect(refJhash1Word(a, iv)).toBe(jhash2([a], 0, 1, iv));
        expect(refJhash3Words(a, a ^ 0x5a5a5a5a, iv, a)).toBe(jhash2([a, a ^ 0x5a5a5a5a, iv], 0, 3, a));
      }
    }
  });
  it('is what the code under test computes', () => {
    for (const a of ADDRS) for (const iv of SEEDS) expect(jhash1Word(leWordOfAddress(a), iv)).toBe(refJhash1Word(leWordOfAddress(a), iv));
    expect(jhash3Words(1, 2, 3, 4)).toBe(refJhash3Words(1, 2, 3, 4));
  });
});

describe('-m cluster', () => {
  it('saves the local node as its mask, then total nodes and the seed (cluster_save)', () => {
    expect(saved('-m cluster --cluster-total-nodes 2 --cluster-local-node 2 --cluster-hash-seed 0xfeedcafe')).toBe(
      '-m cluster --cluster-local-nodemask 0x00000002 --cluster-total-nodes 2 --cluster-hash-seed 0xfeedcafe',
    );
    expect(saved('-m cluster --cluster-total-nodes 32 ! --cluster-local-node 32 --cluster-hash-seed 7')).toBe(
      '-m cluster ! --cluster-local-nodemask 0x80000000 --cluster-total-nodes 32 --cluster-hash-seed 0x00000007',
    );
    expect(saved('-m cluster --cluster-local-nodemask 0x1f --cluster-total-nodes 5 --cluster-hash-seed 0')).toBe(
      '-m cluster --cluster-local-nodemask 0x0000001f --cluster-total-nodes 5 --cluster-hash-seed 0x00000000',
    );
  });
  it('rejects what libxt_cluster.c rejects, in its order', () => {
    expect(rejected('-m cluster')).toBe("ERR_RULE_MISSING_OPTION cluster: `--cluster-local-node' or`--cluster-local-nodemask' is missing");
    expect(rejected('-m cluster --cluster-total-nodes 3')).toBe("ERR_RULE_MISSING_OPTION cluster: `--cluster-local-node' or`--cluster-local-nodemask' is missing");
    expect(rejected('-m cluster --cluster-total-nodes 2 --cluster-local-node 2')).toBe('ERR_RULE_MISSING_OPTION cluster: option "--cluster-hash-seed" must be specified');
    expect(rejected('-m cluster --cluster-local-node 1 --cluster-hash-seed 1')).toBe('ERR_RULE_MISSING_OPTION cluster: option "--cluster-total-nodes" must be specified');
    expect(rejected('-m cluster --cluster-total-nodes 2 --cluster-local-node 3 --cluster-hash-seed 1')).toBe(
      "ERR_RULE_BAD_VALUE cluster: `--cluster-local-node' must be <= `--cluster-total-nodes'",
    );
    expect(rejected('-m cluster --cluster-total-nodes 2 --cluster-local-nodemask 4 --cluster-hash-seed 1')).toBe(
      "ERR_RULE_BAD_VALUE cluster: `--cluster-local-nodemask' too big for `--cluster-total-nodes'",
    );
    expect(rejected('-m cluster --cluster-total-nodes 2 --cluster-local-node 3 --cluster-hash-seed')).toMatch(/^ERR_RULE_MISSING_VALUE /);
    expect(rejected('-m cluster --cluster-total-nodes 33 --cluster-local-node 1 --cluster-hash-seed 1')).toBe(
      'ERR_RULE_BAD_VALUE cluster: bad value for option "--cluster-total-nodes", or out of range (1-32).',
    );
    expect(rejected('-m cluster --cluster-total-nodes 2 --cluster-local-node 0 --cluster-hash-seed 1')).toMatch(/out of range \(1-32\)/);
    // the nodemask entry's .max is XT_CLUSTER_NODES_MAX: a saved mask above 32 does not restore
    expect(rejected('-m cluster --cluster-total-nodes 8 --cluster-local-nodemask 0x40 --cluster-hash-seed 1')).toMatch(/"--cluster-local-nodemask", or out of range \(1-32\)/);
    expect(rejected('-m cluster --cluster-total-nodes 8 --cluster-local-node 1 --cluster-local-nodemask 1 --cluster-hash-seed 1')).toBe(
      'ERR_RULE_CONFLICT cluster: option "--cluster-local-node" cannot be used together with "--cluster-local-nodemask".',
    );
    expect(rejected('-m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 1 ! --cluster-hash-seed 2')).toMatch(/^ERR_RULE_(INVERT|OPTION_REPEATED) /);
  });
  it('matches the node jhash_1word of the original source picks, for every seed and node count', () => {
    const env = new TestMatchEnv();
    for (const n of [1, 2, 3, 7, 32]) {
      for (const seed of SEEDS) {
        for (const src of ADDRS) {
          const node = expectedNode(src, seed, n);
          expect(clusterNode(hostWordOfAddress(src), seed, n)).toBe(node);
          const rule = (k: number, inv = ''): string => `-m cluster --cluster-total-nodes ${n} ${inv}--cluster-local-node ${k} --cluster-hash-seed ${seed}`;
          expect(evalMatch(matchOf(rule(node + 1)), tracked(src), env)).toBe(true);
          expect(evalMatch(matchOf(rule(node + 1, '! ')), tracked(src), env)).toBe(false);
          if (n > 1) {
            const other = ((node + 1) % n) + 1;
            expect(evalMatch(matchOf(rule(other)), tracked(src), env)).toBe(false);
            expect(evalMatch(matchOf(rule(other, '! ')), tracked(src), env)).toBe(true);
          }
        }
      }
    }
  });
  it('hashes the connection, not the packet: a reply carries its ORIGINAL source', () => {
    const env = new TestMatchEnv();
    // spot values: 2 nodes, seed 0xdeadbeef, as the oracle scenario's rules use them
    const a = expectedNode('172.17.0.2', 0xdeadbeef, 2);
    const reply = skbOf({ saddr: '198.51.100.10', daddr: '172.17.0.2' }, { ct: 3, ctInfo: 3, ctOrigSrc: hostWordOfAddress('172.17.0.2') });
    expect(evalMatch(matchOf(`-m cluster --cluster-total-nodes 2 --cluster-local-node ${a + 1} --cluster-hash-seed 0xdeadbeef`), reply, env)).toBe(true);
    expect(evalMatch(matchOf(`-m cluster --cluster-total-nodes 2 --cluster-local-nodemask 3 --cluster-hash-seed 0xdeadbeef`), reply, env)).toBe(true);
  });
  it('is false without a conntrack entry or for untracked packets, inverted or not', () => {
    const env = new TestMatchEnv();
    for (const inv of ['', '! ']) {
      const m = matchOf(`-m cluster --cluster-total-nodes 2 ${inv}--cluster-local-nodemask 3 --cluster-hash-seed 1`);
      expect(evalMatch(m, skbOf({}, { ct: NONE }), env)).toBe(false);
      expect(evalMatch(m, skbOf({}, { ct: NONE, untracked: 1 }), env)).toBe(false);
    }
  });
  it('turns PACKET_MULTICAST into PACKET_HOST for a unicast destination, whatever it answers', () => {
    const env = new TestMatchEnv();
    const m = matchOf('-m cluster --cluster-total-nodes 2 --cluster-local-nodemask 1 --cluster-hash-seed 1');
    const uni = skbOf({ daddr: '172.17.0.2' }, { ct: NONE, pktType: 2 });
    expect(evalMatch(m, uni, env)).toBe(false);
    expect(uni.pktType).toBe(0);
    const mcast = skbOf({ daddr: '224.0.0.18' }, { ct: NONE, pktType: 2 });
    evalMatch(m, mcast, env);
    expect(mcast.pktType).toBe(2);
    const bcast = skbOf({ daddr: '172.17.255.255' }, { ct: NONE, pktType: 1 });
    evalMatch(m, bcast, env);
    expect(bcast.pktType).toBe(1);
  });
});

describe('-m helper', () => {
  it('saves the name with xtables_save_string and the ! before the option', () => {
    expect(saved('-m helper --helper ftp', 'filter', 'INPUT')).toBe('-m helper --helper ftp');
    expect(saved('-m helper ! --helper ftp', 'filter', 'FORWARD')).toBe('-m helper ! --helper ftp');
    expect(saved('-m helper --helper "ftp-2121"', 'filter', 'OUTPUT')).toBe('-m helper --helper ftp-2121');
    expect(saved('-m helper --helper "a b"', 'filter', 'OUTPUT')).toBe('-m helper --helper "a b"');
    expect(saved('-m helper --helper ""', 'filter', 'OUTPUT')).toBe('-m helper --helper ""');
    expect(saved('-m helper --helper abcdefghijklmnopqrstuvwxyz0123456', 'filter', 'OUTPUT')).toBe('-m helper --helper abcdefghijklmnopqrstuvwxyz012');
  });
  it('rejects a missing --helper', () => {
    expect(rejected('-m helper', 'filter', 'INPUT')).toBe('ERR_RULE_MISSING_OPTION helper: option "--helper" must be specified');
  });
  it('answers its invert flag: no connection has a master, so helper_mt returns ret = info->invert', () => {
    const env = new TestMatchEnv();
    const packets = [skbOf({}, { ct: 4, ctInfo: 1 }), skbOf({}, { ct: 4, ctInfo: 0 }), skbOf({}, { ct: NONE }), skbOf({}, { ct: NONE, untracked: 1 })];
    for (const p of packets) {
      expect(evalMatch(matchOf('-m helper --helper ftp', 'filter', 'FORWARD'), p, env)).toBe(false);
      expect(evalMatch(matchOf('-m helper ! --helper ftp', 'filter', 'FORWARD'), p, env)).toBe(true);
      // the empty name (any helper) is only looked at once a master's helper is found
      expect(evalMatch(matchOf('-m helper --helper ""', 'filter', 'FORWARD'), p, env)).toBe(false);
      expect(evalMatch(matchOf('-m helper ! --helper ""', 'filter', 'FORWARD'), p, env)).toBe(true);
    }
  });
});

describe('-m nfacct', () => {
  it('rejects a missing or empty name at parse time', () => {
    expect(rejected('-m nfacct', 'filter', 'INPUT')).toBe('ERR_RULE_MISSING_OPTION nfacct: option "--nfacct-name" must be specified');
    expect(rejected('-m nfacct --nfacct-name ""', 'filter', 'INPUT')).toBe('ERR_RULE_BAD_VALUE nfacct: Argument must have a minimum length of 1 characters');
  });
  it("loads any name when the host's objects are not known: the rule set loaded on its host", () => {
    expect(saved('-m nfacct --nfacct-name nfr-acct', 'filter', 'FORWARD')).toBe('-m nfacct --nfacct-name  nfr-acct');
    expect(saved('-m nfacct --nfacct-name "a b"', 'filter', 'FORWARD')).toBe('-m nfacct --nfacct-name  "a b"');
  });
  it('refuses at load a name the known objects lack (nfacct_mt_checkentry: -ENOENT)', () => {
    const registry = new ModuleRegistry();
    for (const m of BUILTIN_MATCHES) registry.addMatch(m.name === 'nfacct' ? nfacctMatchWith(new Set(['test'])) : m);
    const issues = (name: string): string[] =>
      parseRuleSet(`*filter\n-A INPUT -m nfacct --nfacct-name ${name}\nCOMMIT\n`, { family: Family.IPV4, registry }).issues.map((i) => `${i.code} ${i.message}`);
    expect(issues('test')).toEqual([]);
    expect(issues('wrong')).toEqual(["ERR_RULE_BAD_VALUE nfacct match: accounting object `wrong' does not exist (nfacct_mt_checkentry: -ENOENT)"]);
  });
  it('prints the name as nfacct_save does (two spaces before it), cut to 31 bytes', () => {
    const text = (name: string): string => {
      const d = nfacctMatch.init(undefined as never);
      nfacctMatch.parse(d, { id: 0, name: 'nfacct-name', value: name, value2: '', invert: false }, undefined as never);
      return nfacctMatch.print(d, { family: Family.IPV4 });
    };
    expect(text('acct')).toBe('--nfacct-name  acct');
    expect(text('a b')).toBe('--nfacct-name  "a b"');
    expect(text('x'.repeat(40))).toBe(`--nfacct-name  ${'x'.repeat(31)}`);
  });
  it('is always true: an object without a quota is never NFACCT_UNDERQUOTA', () => {
    const d = { name: 'acct', given: true };
    expect(nfacctMatch.match(d, skbOf(), new TestMatchEnv(), null)).toBe(true);
  });
});

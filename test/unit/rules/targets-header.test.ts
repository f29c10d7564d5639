// TCPOPTSTRIP, ECN and CLASSIFY in the rule language: option parsing and iptables-save text as
// libxt_TCPOPTSTRIP.c, libipt_ECN.c and libxt_CLASSIFY.c have them, their rejection messages, the kernel's
// load checks (mangle only, -p tcp, CLASSIFY's hooks) and the records handed to the datapath.

import { describe, expect, it } from 'vitest';
import { RecordingTargetEnv, parseOne, ruleOf, runTarget, skbOf } from './helpers.js';
import { ruleBodyText } from '../../../src/netfilter/rules/print.js';
import { Family, TargetType } from '../../../src/netfilter/rules/ast.js';
import { TargetEffect } from '../../../src/netfilter/rules/module.js';
import { EcnOp, TargetKind } from '../../../src/netfilter/rules/target-data.js';
import { Verdict } from '../../../src/netfilter/skb.js';
import { classPriority } from '../../../src/netfilter/rules/target/xt_CLASSIFY.js';

/** The rule as iptables-save prints it (after `-A CHAIN `). */
const saved = (rule: string, table = 'mangle', chain = 'FORWARD'): string => ruleBodyText(ruleOf(rule, table, chain), Family.IPV4).slice(1);

/** The first issue of a rule that must not load: `CODE message`. */
function rejected(rule: string, table = 'mangle', chain = 'FORWARD'): string {
  const i = parseOne(rule, table, chain).issues[0];
  if (i === undefined) throw new Error(`accepted: ${rule}`);
  return `${i.code} ${i.message}`;
}

/** The record a stateful target hands to the datapath. */
function record(rule: string, table = 'mangle', chain = 'FORWARD'): unknown {
  const env = new RecordingTargetEnv(Verdict.CONTINUE);
  expect(runTarget(ruleOf(rule, table, chain), skbOf(), env)).toBe(Verdict.CONTINUE);
  expect(env.stateCalls.length).toBe(1);
  return env.stateCalls[0];
}

describe('TCPOPTSTRIP', () => {
  it('saves the kinds numerically in ascending order, names or numbers alike', () => {
    expect(saved('-p tcp -j TCPOPTSTRIP --strip-options wscale,mss,sack-permitted,sack,timestamp,md5')).toBe(
      '-p tcp -j TCPOPTSTRIP --strip-options 2,3,4,5,8,19',
    );
    expect(saved('-p tcp -j TCPOPTSTRIP --strip-options 8,0x22,255,2')).toBe('-p tcp -j TCPOPTSTRIP --strip-options 2,8,34,255');
    expect(saved('-p tcp -j TCPOPTSTRIP --strip-options 010')).toBe('-p tcp -j TCPOPTSTRIP --strip-options 8');
  });
  it('may be given without options: nothing stripped, nothing saved after the name', () => {
    expect(saved('-p tcp -j TCPOPTSTRIP')).toBe('-p tcp -j TCPOPTSTRIP');
    expect(record('-p tcp -j TCPOPTSTRIP')).toEqual({ kind: TargetKind.TCPOPTSTRIP, bmap: [0, 0, 0, 0, 0, 0, 0, 0] });
  });
  it('hands strip_bmap to the datapath', () => {
    expect(record('-p tcp -j TCPOPTSTRIP --strip-options mss,timestamp,253', 'mangle', 'POSTROUTING')).toEqual({
      kind: TargetKind.TCPOPTSTRIP,
      bmap: [(1 << 2) | (1 << 8), 0, 0, 0, 0, 0, 0, (1 << 29) >>> 0],
    });
    const t = ruleOf('-p tcp -j TCPOPTSTRIP', 'mangle', 'OUTPUT').target;
    expect(t.type === TargetType.EXTENSION && t.module.effect).toBe(TargetEffect.STATEFUL);
  });
  it('rejects bad, reserved and repeated option values as parse_list does', () => {
    expect(rejected('-p tcp -j TCPOPTSTRIP --strip-options foo')).toBe('ERR_RULE_BAD_VALUE TCPOPTSTRIP: Bad TCP option value "foo"');
    expect(rejected('-p tcp -j TCPOPTSTRIP --strip-options 256')).toBe('ERR_RULE_BAD_VALUE TCPOPTSTRIP: Bad TCP option value "256"');
    expect(rejected('-p tcp -j TCPOPTSTRIP --strip-options MSS')).toBe('ERR_RULE_BAD_VALUE TCPOPTSTRIP: Bad TCP option value "MSS"');
    expect(rejected('-p tcp -j TCPOPTSTRIP --strip-options 2,')).toBe('ERR_RULE_BAD_VALUE TCPOPTSTRIP: Bad TCP option value ""');
    expect(rejected('-p tcp -j TCPOPTSTRIP --strip-options 0')).toBe('ERR_RULE_BAD_VALUE TCPOPTSTRIP: Option value may not be 0 or 1');
    expect(rejected('-p tcp -j TCPOPTSTRIP --strip-options 3,1')).toBe('ERR_RULE_BAD_VALUE TCPOPTSTRIP: Option value may not be 0 or 1');
    expect(rejected('-p tcp -j TCPOPTSTRIP --strip-options mss,2')).toBe('ERR_RULE_BAD_VALUE TCPOPTSTRIP: Option "2" already specified');
    expect(rejected('-p tcp -j TCPOPTSTRIP --strip-options 2 --strip-options 3')).toMatch(/^ERR_RULE_OPTION_REPEATED /);
  });
  it('loads only in mangle and only with -p tcp', () => {
    expect(rejected('-j TCPOPTSTRIP --strip-options mss')).toMatch(/^ERR_RULE_NEEDS_PROTOCOL /);
    expect(rejected('! -p tcp -j TCPOPTSTRIP')).toMatch(/^ERR_RULE_NEEDS_PROTOCOL /);
    expect(rejected('-p tcp -j TCPOPTSTRIP', 'filter', 'FORWARD')).toMatch(/^ERR_RULE_WRONG_TABLE /);
    for (const chain of ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']) expect(parseOne('-p tcp -j TCPOPTSTRIP', 'mangle', chain).issues).toEqual([]);
  });
});

describe('ECN', () => {
  it('saves --ecn-tcp-remove for ECE=0 and CWR=0 however they were given', () => {
    expect(saved('-p tcp -j ECN --ecn-tcp-remove')).toBe('-p tcp -j ECN --ecn-tcp-remove');
    expect(saved('-p tcp -j ECN --ecn-tcp-cwr 0 --ecn-tcp-ece 0')).toBe('-p tcp -j ECN --ecn-tcp-remove');
  });
  it('saves the other operations in the order ece, cwr, ip-ect', () => {
    expect(saved('-p tcp -j ECN --ecn-ip-ect 2 --ecn-tcp-cwr 1 --ecn-tcp-ece 0')).toBe('-p tcp -j ECN --ecn-tcp-ece 0 --ecn-tcp-cwr 1 --ecn-ip-ect 2');
    expect(saved('-p tcp -j ECN --ecn-tcp-ece 1')).toBe('-p tcp -j ECN --ecn-tcp-ece 1');
    expect(saved('-j ECN --ecn-ip-ect 0x3')).toBe('-j ECN --ecn-ip-ect 3');
  });
  it('--ecn-tcp-remove assigns the operation: an --ecn-ip-ect before it is lost, one after it is kept', () => {
    expect(saved('-p tcp -j ECN --ecn-ip-ect 1 --ecn-tcp-remove')).toBe('-p tcp -j ECN --ecn-tcp-remove');
    expect(saved('-p tcp -j ECN --ecn-tcp-remove --ecn-ip-ect 1')).toBe('-p tcp -j ECN --ecn-tcp-ece 0 --ecn-tcp-cwr 0 --ecn-ip-ect 1');
  });
  it('hands ipt_ECN_info to the datapath', () => {
    expect(record('-p tcp -j ECN --ecn-tcp-remove')).toMatchObject({ kind: TargetKind.ECN, operation: EcnOp.SET_ECE | EcnOp.SET_CWR, ece: 0, cwr: 0 });
    expect(record('-p tcp -j ECN --ecn-tcp-cwr 1 --ecn-ip-ect 3', 'mangle', 'OUTPUT')).toMatchObject({
      kind: TargetKind.ECN,
      operation: EcnOp.SET_CWR | EcnOp.SET_IP,
      cwr: 1,
      ipEct: 3,
    });
  });
  it('rejects a missing operation, out-of-range values and remove with cwr/ece', () => {
    expect(rejected('-j ECN')).toBe('ERR_RULE_MISSING_OPTION ECN: ECN target: An operation is required');
    expect(rejected('-p tcp -j ECN')).toBe('ERR_RULE_MISSING_OPTION ECN: ECN target: An operation is required');
    expect(rejected('-p tcp -j ECN --ecn-tcp-cwr 2')).toBe('ERR_RULE_BAD_VALUE ECN: bad value for option "--ecn-tcp-cwr", or out of range (0-1)');
    expect(rejected('-j ECN --ecn-ip-ect 4')).toBe('ERR_RULE_BAD_VALUE ECN: bad value for option "--ecn-ip-ect", or out of range (0-3)');
    expect(rejected('-p tcp -j ECN --ecn-tcp-ece 1 --ecn-tcp-remove')).toBe(
      'ERR_RULE_CONFLICT ECN: option "--ecn-tcp-remove" cannot be used together with "--ecn-tcp-ece"',
    );
    expect(rejected('-p tcp -j ECN --ecn-tcp-remove --ecn-tcp-remove')).toMatch(/^ERR_RULE_OPTION_REPEATED /);
  });
  it('loads only in mangle; TCP operations need a non-inverted -p tcp (ecn_tg_check)', () => {
    expect(rejected('-j ECN --ecn-tcp-remove')).toMatch(/^ERR_RULE_NEEDS_PROTOCOL ECN target: cannot use operation on non-tcp rule/);
    expect(rejected('! -p tcp -j ECN --ecn-tcp-cwr 1')).toMatch(/^ERR_RULE_NEEDS_PROTOCOL /);
    expect(rejected('-p udp -j ECN --ecn-tcp-ece 0')).toMatch(/^ERR_RULE_NEEDS_PROTOCOL /);
    expect(parseOne('-p udp -j ECN --ecn-ip-ect 1', 'mangle', 'PREROUTING').issues).toEqual([]);
    expect(rejected('-p tcp -j ECN --ecn-tcp-remove', 'filter', 'FORWARD')).toMatch(/^ERR_RULE_WRONG_TABLE /);
  });
});

describe('CLASSIFY', () => {
  it('saves MAJOR:MINOR as %.4x:%.4x', () => {
    expect(saved('-j CLASSIFY --set-class 1:10')).toBe('-j CLASSIFY --set-class 0001:0010');
    expect(saved('-j CLASSIFY --set-class 0000:ffff')).toBe('-j CLASSIFY --set-class 0000:ffff');
    expect(saved('-j CLASSIFY --set-class 0x1:0X2A', 'mangle', 'POSTROUTING')).toBe('-j CLASSIFY --set-class 0001:002a');
  });
  it('reads the class as sscanf "%x:%x" does, keeping 16 bits of each side (TC_H_MAKE)', () => {
    expect(classPriority('1:10')).toBe(0x00010010);
    expect(classPriority('12345:1')).toBe(0x23450001);
    expect(classPriority('0000:ffffffff')).toBe(0x0000ffff);
    expect(classPriority('1:-1')).toBe(0x0001ffff);
    expect(classPriority('-1:0')).toBe(0xffff0000);
    expect(classPriority('1: 2')).toBe(0x00010002);
    expect(classPriority('1:2junk')).toBe(0x00010002);
    expect(classPriority('0x:5')).toBe(0x00000005);
    expect(classPriority('fffffffffffffffff:1')).toBe(0xffff0001);
    for (const bad of ['1', ':1', 'x:1', '1:', '1 :2', '1:x', '', '+:1']) expect(classPriority(bad)).toBe(-1);
  });
  it('rejects a bad class and a missing --set-class', () => {
    expect(rejected('-j CLASSIFY --set-class 1')).toBe('ERR_RULE_BAD_VALUE CLASSIFY: Bad class value "1"');
    expect(rejected('-j CLASSIFY')).toBe('ERR_RULE_MISSING_OPTION CLASSIFY: option "--set-class" must be specified');
  });
  it('loads from OUTPUT, FORWARD and POSTROUTING in any table, not from PREROUTING or INPUT', () => {
    expect(rejected('-j CLASSIFY --set-class 1:1', 'mangle', 'PREROUTING')).toMatch(/^ERR_RULE_WRONG_HOOK /);
    expect(rejected('-j CLASSIFY --set-class 1:1', 'mangle', 'INPUT')).toMatch(/^ERR_RULE_WRONG_HOOK /);
    expect(parseOne('-j CLASSIFY --set-class 1:1', 'filter', 'FORWARD').issues).toEqual([]);
    expect(parseOne('-j CLASSIFY --set-class 1:1', 'filter', 'OUTPUT').issues).toEqual([]);
  });
  it('continues without asking the datapath (skb->priority is read by nothing modelled)', () => {
    const env = new RecordingTargetEnv();
    const skb = skbOf({}, { mark: 5 });
    expect(runTarget(ruleOf('-j CLASSIFY --set-class 1:1', 'mangle', 'POSTROUTING'), skb, env)).toBe(Verdict.CONTINUE);
    expect(env.stateCalls).toEqual([]);
    expect(skb.mark).toBe(5);
    const t = ruleOf('-j CLASSIFY --set-class 1:1', 'mangle', 'OUTPUT').target;
    expect(t.type === TargetType.EXTENSION && t.data).toEqual({ kind: TargetKind.CLASSIFY, priority: 0x00010001, given: true });
  });
});

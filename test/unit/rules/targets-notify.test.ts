// AUDIT, LED and IDLETIMER in the rule language: parsing and iptables-save text as libxt_AUDIT.c, libxt_LED.c
// and libxt_IDLETIMER.c (revision 1) have them, their rejection messages, the kernel's load checks
// (IDLETIMER's timeout bounds, label rules and timer types), and the target itself: CONTINUE, nothing changed,
// nothing handed to the datapath.

import { describe, expect, it } from 'vitest';
import { RecordingTargetEnv, parseOne, ruleOf, runTarget, skbOf } from './helpers.js';
import { ruleBodyText } from '../../../src/netfilter/rules/print.js';
import { parseRuleSet } from '../../../src/netfilter/rules/parse.js';
import { Family, TargetType } from '../../../src/netfilter/rules/ast.js';
import { TargetEffect } from '../../../src/netfilter/rules/module.js';
import { Verdict } from '../../../src/netfilter/skb.js';

const saved = (rule: string, table = 'filter', chain = 'INPUT'): string => ruleBodyText(ruleOf(rule, table, chain), Family.IPV4).slice(1);

function rejected(rule: string, table = 'filter', chain = 'INPUT'): string {
  const i = parseOne(rule, table, chain).issues[0];
  if (i === undefined) throw new Error(`accepted: ${rule}`);
  return `${i.code} ${i.message}`;
}

/** The target continues, leaves the packet's mark alone and hands nothing to the datapath. */
function inert(rule: string): void {
  const r = ruleOf(rule);
  const t = r.target;
  expect(t.type === TargetType.EXTENSION && t.module.effect).toBe(TargetEffect.PURE);
  const env = new RecordingTargetEnv();
  const skb = skbOf({}, { mark: 0x1234 });
  expect(runTarget(r, skb, env)).toBe(Verdict.CONTINUE);
  expect(skb.mark).toBe(0x1234);
  expect(env.stateCalls).toEqual([]);
  expect(env.events).toEqual([]);
}

describe('AUDIT', () => {
  it('saves the type in lower case, whatever case it was given in', () => {
    expect(saved('-j AUDIT --type accept')).toBe('-j AUDIT --type accept');
    expect(saved('-j AUDIT --type DROP')).toBe('-j AUDIT --type drop');
    expect(saved('-j AUDIT --type Reject', 'mangle', 'POSTROUTING')).toBe('-j AUDIT --type reject');
  });
  it('rejects a missing or unknown type', () => {
    expect(rejected('-j AUDIT')).toBe('ERR_RULE_MISSING_OPTION AUDIT: option "--type" must be specified');
    expect(rejected('-j AUDIT --type wrong')).toBe('ERR_RULE_BAD_VALUE AUDIT: Bad action type value "wrong"');
    expect(rejected('-j AUDIT --type accepted')).toBe('ERR_RULE_BAD_VALUE AUDIT: Bad action type value "accepted"');
    expect(rejected('-j AUDIT --type accept --type drop')).toMatch(/^ERR_RULE_OPTION_REPEATED /);
  });
  it('only writes an audit record: the walk continues with nothing changed', () => inert('-j AUDIT --type drop'));
});

describe('LED', () => {
  it('always quotes the trigger id, escaping quotes and backslashes, as LED_save does', () => {
    expect(saved('-j LED --led-trigger-id foo')).toBe('-j LED --led-trigger-id "foo"');
    expect(saved('-j LED --led-trigger-id "a b"')).toBe('-j LED --led-trigger-id "a b"');
    expect(saved('-j LED --led-trigger-id "q\\"x\\\\y"')).toBe('-j LED --led-trigger-id "q\\"x\\\\y"');
    expect(saved('-j LED --led-trigger-id ""')).toBe('-j LED --led-trigger-id ""');
  });
  it('prints a non-zero delay with %d of the __u32 (inf, stored as -1, comes back as -1) and always-blink', () => {
    expect(saved('-j LED --led-trigger-id foo --led-delay 42 --led-always-blink')).toBe('-j LED --led-trigger-id "foo" --led-delay 42 --led-always-blink');
    expect(saved('-j LED --led-trigger-id foo --led-delay 0')).toBe('-j LED --led-trigger-id "foo"');
    expect(saved('-j LED --led-trigger-id foo --led-delay 0x10')).toBe('-j LED --led-trigger-id "foo" --led-delay 16');
    expect(saved('-j LED --led-trigger-id foo --led-delay inf')).toBe('-j LED --led-trigger-id "foo" --led-delay -1');
    expect(saved('-j LED --led-trigger-id foo --led-delay INFINITE')).toBe('-j LED --led-trigger-id "foo" --led-delay -1');
    expect(saved('-j LED --led-trigger-id foo --led-delay 3000000000')).toBe('-j LED --led-trigger-id "foo" --led-delay -1294967296');
  });
  it('rejects a missing or too long id and a bad delay', () => {
    expect(rejected('-j LED')).toBe('ERR_RULE_MISSING_OPTION LED: option "--led-trigger-id" must be specified');
    expect(rejected('-j LED --led-trigger-id 0123456789abcdefg')).toBe('ERR_RULE_BAD_VALUE LED: Argument must have a maximum length of 16 characters');
    expect(saved('-j LED --led-trigger-id 0123456789abcdef')).toBe('-j LED --led-trigger-id "0123456789abcdef"');
    expect(rejected('-j LED --led-trigger-id foo --led-delay -1')).toBe('ERR_RULE_BAD_VALUE LED: Delay value must be within range 0..4294967295');
    expect(rejected('-j LED --led-trigger-id foo --led-delay in')).toBe('ERR_RULE_BAD_VALUE LED: Delay value must be within range 0..4294967295');
    expect(rejected('-j LED --led-trigger-id foo --led-delay 4294967296')).toBe('ERR_RULE_BAD_VALUE LED: Delay value must be within range 0..4294967295');
  });
  it('only drives an LED trigger: the walk continues with nothing changed', () => inert('-j LED --led-trigger-id foo --led-delay 10'));
});

describe('IDLETIMER', () => {
  it('saves timeout, label (unquoted) and --alarm in that order', () => {
    expect(saved('-j IDLETIMER --label foo --timeout 42')).toBe('-j IDLETIMER --timeout 42 --label foo');
    expect(saved('-j IDLETIMER --alarm --timeout 0x2a --label bar')).toBe('-j IDLETIMER --timeout 42 --label bar --alarm');
    expect(saved('-j IDLETIMER --timeout 2147482 --label "a b"')).toBe('-j IDLETIMER --timeout 2147482 --label a b');
  });
  it('cuts a label to 27 bytes, silently, as xtopt_parse_string does into label[28]', () => {
    expect(saved('-j IDLETIMER --timeout 1 --label abcdefghijklmnopqrstuvwxyz0123')).toBe('-j IDLETIMER --timeout 1 --label abcdefghijklmnopqrstuvwxyz0');
  });
  it('rejects missing options as iptables does', () => {
    expect(rejected('-j IDLETIMER --timeout')).toMatch(/^ERR_RULE_MISSING_VALUE /);
    expect(rejected('-j IDLETIMER --timeout 42')).toBe('ERR_RULE_MISSING_OPTION IDLETIMER: option "--label" must be specified');
    expect(rejected('-j IDLETIMER --label foo')).toBe('ERR_RULE_MISSING_OPTION IDLETIMER: option "--timeout" must be specified');
    expect(rejected('-j IDLETIMER --timeout 4294967296 --label foo')).toMatch(/^ERR_RULE_BAD_VALUE IDLETIMER: timeout `4294967296'/);
  });
  it('refuses at load what idletimer_tg_helper and the sysfs name check refuse', () => {
    expect(rejected('-j IDLETIMER --timeout 0 --label foo')).toBe('ERR_RULE_BAD_VALUE IDLETIMER target: timeout value is zero');
    expect(rejected('-j IDLETIMER --timeout 2147483 --label foo')).toBe('ERR_RULE_BAD_VALUE IDLETIMER target: timeout value is too big (2147483; at most 2147482)');
    expect(rejected('-j IDLETIMER --timeout 1 --label ""')).toBe("ERR_RULE_BAD_VALUE IDLETIMER target: label `' is empty");
    for (const l of ['.', '..', 'a/b']) expect(rejected(`-j IDLETIMER --timeout 1 --label ${l}`)).toMatch(/is not a valid file name/);
    for (const l of ['power', 'subsystem', 'uevent']) expect(rejected(`-j IDLETIMER --timeout 1 --label ${l}`)).toMatch(/names a file the timers device already has/);
    expect(saved('-j IDLETIMER --timeout 1 --label powers')).toBe('-j IDLETIMER --timeout 1 --label powers');
  });
  it('refuses a second rule giving a label another timer type; the same type shares the timer', () => {
    const text = (second: string): string =>
      `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -j IDLETIMER --timeout 5 --label t\n-A OUTPUT -j IDLETIMER ${second}\nCOMMIT\n`;
    expect(parseRuleSet(text('--timeout 9 --label t'), { family: Family.IPV4 }).issues).toEqual([]);
    const issues = parseRuleSet(text('--timeout 9 --label t --alarm'), { family: Family.IPV4 }).issues;
    expect(issues.map((i) => `${i.line} ${i.code} ${i.message}`)).toEqual([
      "6 ERR_RULE_CONFLICT IDLETIMER target: label `t' is already a plain timer; a rule may not give it another timer type",
    ]);
  });
  it('only re-arms a timer: the walk continues with nothing changed', () => inert('-j IDLETIMER --timeout 60 --label idle --alarm'));
});

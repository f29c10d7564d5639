// Targets: pure ones applied here (MARK, CONNMARK, CHECKSUM), events recorded and continued (LOG, NFLOG,
// TRACE), and stateful ones handed to the datapath as typed records whose verdict is returned (NAT, REJECT,
// TCPMSS, TTL, NOTRACK/CT, NFQUEUE, TOS, DSCP). Expected records are the kernel structures' values.

import { describe, expect, it } from 'vitest';
import { RecordingTargetEnv, parseOne, ruleOf, runTarget, skbOf } from './helpers.js';
import { Verdict } from '../../../src/netfilter/skb.js';
import { TargetEffect } from '../../../src/netfilter/rules/module.js';
import { TargetType } from '../../../src/netfilter/rules/ast.js';
import { ConnmarkMode, LogFlag, NatFlag, RejectWith, TCPMSS_CLAMP_PMTU, TargetKind, TtlMode } from '../../../src/netfilter/rules/target-data.js';

const effect = (rule: string, table = 'filter', chain = 'INPUT'): number => {
  const t = ruleOf(rule, table, chain).target;
  if (t.type !== TargetType.EXTENSION) throw new Error('no extension target');
  return t.module.effect;
};

describe('MARK', () => {
  it('applies (mark & ~mask) ^ value for every spelling', () => {
    const cases: Array<[string, number, number]> = [
      ['--set-xmark 0x4000/0x4000', 0x0001, 0x4001],
      ['--set-mark 0x10/0xf0', 0x0ff, 0x01f],
      ['--set-mark 5', 0xffff, 0x0005],
      ['--or-mark 0x4000', 0x0001, 0x4001],
      ['--and-mark 0xff', 0x1234, 0x0034],
      ['--xor-mark 0x4000', 0x4001, 0x0001],
    ];
    for (const [opt, before, after] of cases) {
      const skb = skbOf({}, { mark: before });
      expect(runTarget(ruleOf(`-j MARK ${opt}`), skb, new RecordingTargetEnv())).toBe(Verdict.CONTINUE);
      expect(skb.mark).toBe(after);
    }
    expect(effect('-j MARK --set-mark 1')).toBe(TargetEffect.PURE);
  });
});

describe('CONNMARK', () => {
  it('sets, saves and restores with masks; nothing without an entry', () => {
    const set = skbOf({}, { ct: 1, ctMark: 0xf0f0 });
    runTarget(ruleOf('-j CONNMARK --set-xmark 0x5/0xff', 'mangle', 'PREROUTING'), set, new RecordingTargetEnv());
    expect(set.ctMark).toBe(0xf005);
    const save = skbOf({}, { ct: 1, mark: 0x1234, ctMark: 0xffff0000 });
    runTarget(ruleOf('-j CONNMARK --save-mark --mask 0xff', 'mangle', 'PREROUTING'), save, new RecordingTargetEnv());
    expect(save.ctMark).toBe(0xffff0034);
    const restore = skbOf({}, { ct: 1, mark: 0xaaaa, ctMark: 0x1234 });
    runTarget(ruleOf('-j CONNMARK --restore-mark --nfmask 0xff00 --ctmask 0xff00', 'mangle', 'PREROUTING'), restore, new RecordingTargetEnv());
    expect(restore.mark).toBe(0x12aa);
    const none = skbOf({}, { ct: -1, mark: 7, ctMark: 0 });
    expect(runTarget(ruleOf('-j CONNMARK --restore-mark', 'mangle', 'PREROUTING'), none, new RecordingTargetEnv())).toBe(Verdict.CONTINUE);
    expect(none.mark).toBe(7);
  });
  it('shifts after combining (connmark_tg_shift)', () => {
    const s = skbOf({}, { ct: 1, mark: 0x0f, ctMark: 0 });
    runTarget(ruleOf('-j CONNMARK --save-mark --left-shift-mark 4', 'mangle', 'PREROUTING'), s, new RecordingTargetEnv());
    expect(s.ctMark).toBe(0xf0);
    const t = ruleOf('-j CONNMARK --restore-mark').target;
    expect(t.type === TargetType.EXTENSION && t.data).toMatchObject({ mode: ConnmarkMode.RESTORE, nfmask: 0xffffffff, ctmask: 0xffffffff });
  });
});

describe('event targets', () => {
  it('record LOG, NFLOG and TRACE and continue', () => {
    const env = new RecordingTargetEnv();
    const skb = skbOf();
    expect(runTarget(ruleOf('-j LOG --log-prefix "DROP: " --log-level info --log-uid'), skb, env)).toBe(Verdict.CONTINUE);
    expect(runTarget(ruleOf('-j NFLOG --nflog-group 2 --nflog-threshold 5'), skb, env)).toBe(Verdict.CONTINUE);
    expect(runTarget(ruleOf('-j TRACE', 'raw', 'PREROUTING'), skb, env)).toBe(Verdict.CONTINUE);
    expect(env.events).toEqual([
      { kind: TargetKind.LOG, level: 6, prefix: 'DROP: ', flags: LogFlag.UID },
      { kind: TargetKind.NFLOG, group: 2, prefix: '', size: -1, threshold: 5, flags: 0 },
      { kind: TargetKind.TRACE },
    ]);
    expect(env.stateCalls).toEqual([]);
    expect(effect('-j LOG')).toBe(TargetEffect.EVENT);
  });
});

describe('stateful targets go to the datapath as typed records', () => {
  const call = (rule: string, table: string, chain: string, verdict: number = Verdict.ACCEPT): [number, unknown] => {
    const env = new RecordingTargetEnv(verdict);
    const v = runTarget(ruleOf(rule, table, chain), skbOf(), env);
    expect(env.stateCalls.length).toBe(1);
    return [v, env.stateCalls[0]];
  };
  it('DNAT with an address range, port range and base', () => {
    const [v, d] = call('-p tcp -j DNAT --to-destination 10.0.0.1-10.0.0.3:1000-2000/3000 --random', 'nat', 'PREROUTING');
    expect(v).toBe(Verdict.ACCEPT);
    expect(d).toEqual({
      kind: TargetKind.DNAT,
      manip: 1,
      flags: NatFlag.MAP_IPS | NatFlag.PROTO_SPECIFIED | NatFlag.PROTO_OFFSET | NatFlag.PROTO_RANDOM,
      minAddr: 0x0a000001,
      maxAddr: 0x0a000003,
      minProto: 1000,
      maxProto: 2000,
      baseProto: 3000,
      minAddr6: null,
      maxAddr6: null,
    });
  });
  it('SNAT, MASQUERADE and REDIRECT flags and ranges', () => {
    expect(call('-j SNAT --to-source 192.0.2.1 --random-fully --persistent', 'nat', 'POSTROUTING')[1]).toMatchObject({
      kind: TargetKind.SNAT,
      manip: 0,
      flags: NatFlag.MAP_IPS | NatFlag.PROTO_RANDOM_FULLY | NatFlag.PERSISTENT,
      minAddr: 0xc0000201,
    });
    expect(call('-p udp -j MASQUERADE --to-ports 1024-2047 --random', 'nat', 'POSTROUTING')[1]).toMatchObject({
      kind: TargetKind.MASQUERADE,
      manip: 0,
      flags: NatFlag.PROTO_SPECIFIED | NatFlag.PROTO_RANDOM,
      minProto: 1024,
      maxProto: 2047,
    });
    expect(call('-p tcp -j REDIRECT --to-ports 3128', 'nat', 'OUTPUT')[1]).toMatchObject({ kind: TargetKind.REDIRECT, manip: 1, minProto: 3128, maxProto: 3128 });
  });
  it('REJECT codes, TCPMSS, TTL, NOTRACK, CT, NFQUEUE, TOS, DSCP', () => {
    expect(call('-p tcp -j REJECT --reject-with tcp-reset', 'filter', 'FORWARD', Verdict.DROP)).toEqual([
      Verdict.DROP,
      { kind: TargetKind.REJECT, with: RejectWith.TCP_RESET, family: 4 },
    ]);
    expect(call('-j REJECT', 'filter', 'INPUT', Verdict.DROP)[1]).toMatchObject({ with: RejectWith.ICMP_PORT_UNREACHABLE });
    expect(call('-p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu', 'mangle', 'POSTROUTING', Verdict.CONTINUE)).toEqual([
      Verdict.CONTINUE,
      { kind: TargetKind.TCPMSS, mss: TCPMSS_CLAMP_PMTU, clamp: true, given: true },
    ]);
    expect(call('-p tcp --syn -j TCPMSS --set-mss 1380', 'mangle', 'FORWARD', Verdict.CONTINUE)[1]).toMatchObject({ mss: 1380, clamp: false });
    expect(call('-j TTL --ttl-dec 2', 'mangle', 'FORWARD', Verdict.CONTINUE)[1]).toMatchObject({ kind: TargetKind.TTL, mode: TtlMode.DEC, value: 2 });
    expect(call('-j NOTRACK', 'raw', 'PREROUTING', Verdict.CONTINUE)[1]).toEqual({ kind: TargetKind.NOTRACK });
    expect(call('-j CT --notrack', 'raw', 'OUTPUT', Verdict.CONTINUE)[1]).toMatchObject({ kind: TargetKind.CT, notrack: true });
    expect(call('-j NFQUEUE --queue-balance 2:5 --queue-bypass', 'filter', 'INPUT')[1]).toMatchObject({ queueNum: 2, queuesTotal: 4, bypass: true });
    expect(call('-j TOS --and-tos 0x12', 'mangle', 'PREROUTING', Verdict.CONTINUE)[1]).toMatchObject({ kind: TargetKind.TOS, value: 0, mask: 0xed });
    expect(call('-j DSCP --set-dscp-class AF41', 'mangle', 'PREROUTING', Verdict.CONTINUE)[1]).toMatchObject({ kind: TargetKind.DSCP, dscp: 34 });
  });
  it('CHECKSUM --checksum-fill changes nothing and continues', () => {
    const env = new RecordingTargetEnv();
    expect(runTarget(ruleOf('-p udp -j CHECKSUM --checksum-fill', 'mangle', 'POSTROUTING'), skbOf(), env)).toBe(Verdict.CONTINUE);
    expect(env.stateCalls).toEqual([]);
  });
});

describe('load-time limits of targets (section 2.8)', () => {
  const code = (rule: string, table: string, chain: string): string | undefined => parseOne(rule, table, chain).issues[0]?.code;
  it('REJECT only in filter INPUT/FORWARD/OUTPUT, tcp-reset needs -p tcp', () => {
    expect(code('-j REJECT', 'mangle', 'INPUT')).toBe('ERR_RULE_WRONG_TABLE');
    expect(code('-p udp -j REJECT --reject-with tcp-reset', 'filter', 'INPUT')).toBe('ERR_RULE_NEEDS_PROTOCOL');
  });
  it('NAT targets by hook', () => {
    expect(code('-j DNAT --to-destination 1.2.3.4', 'nat', 'POSTROUTING')).toBe('ERR_RULE_WRONG_HOOK');
    expect(code('-j SNAT --to-source 1.2.3.4', 'nat', 'PREROUTING')).toBe('ERR_RULE_WRONG_HOOK');
    expect(code('-j MASQUERADE', 'nat', 'OUTPUT')).toBe('ERR_RULE_WRONG_HOOK');
    expect(code('-p tcp -j REDIRECT', 'nat', 'POSTROUTING')).toBe('ERR_RULE_WRONG_HOOK');
    expect(code('-j DNAT --to-destination 1.2.3.4:80', 'nat', 'PREROUTING')).toBe('ERR_RULE_BAD_VALUE');
  });
  it('TCPMSS needs a SYN tcp match; clamping only after routing', () => {
    expect(code('-p tcp -j TCPMSS --set-mss 1000', 'mangle', 'FORWARD')).toBe('ERR_RULE_NEEDS_PROTOCOL');
    expect(code('-p tcp --syn -j TCPMSS --clamp-mss-to-pmtu', 'mangle', 'PREROUTING')).toBe('ERR_RULE_WRONG_HOOK');
    expect(code('-p tcp ! --syn -j TCPMSS --set-mss 1000', 'mangle', 'FORWARD')).toBe('ERR_RULE_NEEDS_PROTOCOL');
  });
});

// LOG, NFLOG and TRACE: targets that record an event and let the walk continue (libxt_LOG.c, libxt_NFLOG.c,
// libxt_TRACE.c; net/netfilter/xt_LOG.c, xt_NFLOG.c, xt_TRACE.c). Nothing about the packet changes, so
// the rules layer hands the record to TargetEnv.event() and returns XT_CONTINUE.

import type { TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import type { LogData, NflogData, TraceData } from '../target-data.js';
import { LogFlag, TargetKind } from '../target-data.js';
import { badValue, noState, uintOr } from '../mod-util.js';
import { quoteArg } from '../tokenize.js';
import { Verdict } from '../../skb.js';

/** LOG_DEFAULT_LEVEL (warning). */
export const LOG_DEFAULT_LEVEL = 4;
/** Longest `--log-prefix` (struct xt_log_info prefix[30] with its NUL). */
export const LOG_PREFIX_MAX = 29;
/** Longest `--nflog-prefix` kept (struct xt_nflog_info prefix[64] with its NUL). */
export const NFLOG_PREFIX_MAX = 63;

const LEVELS: ReadonlyArray<readonly [string, number]> = [
  ['alert', 1], ['crit', 2], ['debug', 7], ['emerg', 0], ['err', 3], ['error', 3], ['info', 6], ['notice', 5], ['panic', 0], ['warning', 4], ['warn', 4],
];

const LOG_FLAG_OPTS: ReadonlyArray<readonly [string, number]> = [
  ['log-tcp-sequence', LogFlag.TCPSEQ],
  ['log-tcp-options', LogFlag.TCPOPT],
  ['log-ip-options', LogFlag.IPOPT],
  ['log-uid', LogFlag.UID],
  ['log-macdecode', LogFlag.MACDECODE],
];

export const logTarget: TargetModule<LogData, null> = {
  kind: 'target',
  name: 'LOG',
  family: 0,
  effect: TargetEffect.EVENT,
  options: [{ name: 'log-level', args: 1 }, { name: 'log-prefix', args: 1 }, ...LOG_FLAG_OPTS.map(([name]) => ({ name, args: 0 as const }))],
  init: () => ({ kind: TargetKind.LOG, level: LOG_DEFAULT_LEVEL, prefix: '', flags: 0 }),
  parse(d, o, ctx) {
    if (o.id === 0) {
      const n = /^[0-7]$/.test(o.value) ? Number(o.value) : (LEVELS.find(([name]) => name === o.value)?.[1] ?? -1);
      if (n < 0) badValue(ctx, `log level "${o.value}" unknown`);
      d.level = n;
    } else if (o.id === 1) {
      if (o.value.includes('\n')) badValue(ctx, 'Newlines not allowed in --log-prefix');
      // iptables warns and keeps the first 29 characters (struct xt_log_info prefix[30])
      d.prefix = o.value.slice(0, LOG_PREFIX_MAX);
    } else {
      d.flags |= LOG_FLAG_OPTS[o.id - 2]![1];
    }
  },
  finish() {},
  print(d) {
    const parts: string[] = [];
    if (d.prefix !== '') parts.push(`--log-prefix ${quoteArg(d.prefix)}`);
    if (d.level !== LOG_DEFAULT_LEVEL) parts.push(`--log-level ${d.level}`);
    for (const [name, bit] of LOG_FLAG_OPTS) if ((d.flags & bit) !== 0) parts.push(`--${name}`);
    return parts.join(' ');
  },
  createState: noState,
  // HOT
  target(d, skb, env) {
    env.event(d, skb);
    return Verdict.CONTINUE;
  },
};

/** XT_NFLOG_DEFAULT_THRESHOLD. */
export const NFLOG_DEFAULT_THRESHOLD = 0;

/** XT_NFLOG_F_COPY_LEN: `--nflog-size` given (rather than the old `--nflog-range`). */
const NFLOG_F_COPY_LEN = 0x1;

interface NflogParse extends NflogData {
  flags: number;
}

export const nflogTarget: TargetModule<NflogParse, null> = {
  kind: 'target',
  name: 'NFLOG',
  family: 0,
  effect: TargetEffect.EVENT,
  options: [
    { name: 'nflog-group', args: 1 },
    { name: 'nflog-prefix', args: 1 },
    { name: 'nflog-range', args: 1 },
    { name: 'nflog-size', args: 1 },
    { name: 'nflog-threshold', args: 1 },
  ],
  init: () => ({ kind: TargetKind.NFLOG, group: 0, prefix: '', size: -1, threshold: NFLOG_DEFAULT_THRESHOLD, flags: 0 }),
  parse(d, o, ctx) {
    switch (o.id) {
      case 0:
        d.group = uintOr(ctx, o.value, 0, 0xffff, 'nflog-group');
        break;
      case 1:
        if (o.value.includes('\n')) badValue(ctx, 'Newlines not allowed in --nflog-prefix');
        // struct xt_nflog_info holds 64 bytes with the NUL; iptables (legacy) keeps the truncated prefix
        d.prefix = o.value.slice(0, NFLOG_PREFIX_MAX);
        break;
      case 2:
        if ((d.flags & NFLOG_F_COPY_LEN) !== 0) badValue(ctx, '--nflog-range and --nflog-size are mutually exclusive');
        d.size = uintOr(ctx, o.value, 0, 0xffffffff, 'nflog-range');
        break;
      case 3:
        if (d.size >= 0 && (d.flags & NFLOG_F_COPY_LEN) === 0) badValue(ctx, '--nflog-range and --nflog-size are mutually exclusive');
        d.size = uintOr(ctx, o.value, 0, 0xffffffff, 'nflog-size');
        d.flags |= NFLOG_F_COPY_LEN;
        break;
      case 4:
        d.threshold = uintOr(ctx, o.value, 0, 0xffff, 'nflog-threshold');
        break;
    }
  },
  finish() {},
  print(d) {
    const parts: string[] = [];
    if (d.prefix !== '') parts.push(`--nflog-prefix ${quoteArg(d.prefix)}`);
    if (d.group !== 0) parts.push(`--nflog-group ${d.group}`);
    if ((d.flags & NFLOG_F_COPY_LEN) !== 0) parts.push(`--nflog-size ${d.size}`);
    else if (d.size > 0) parts.push(`--nflog-range ${d.size}`);
    if (d.threshold !== NFLOG_DEFAULT_THRESHOLD) parts.push(`--nflog-threshold ${d.threshold}`);
    return parts.join(' ');
  },
  createState: noState,
  // HOT
  target(d, skb, env) {
    env.event(d, skb);
    return Verdict.CONTINUE;
  },
};

export const traceTarget: TargetModule<TraceData, null> = {
  kind: 'target',
  name: 'TRACE',
  family: 0,
  effect: TargetEffect.EVENT,
  tables: ['raw'],
  options: [],
  init: () => ({ kind: TargetKind.TRACE }),
  parse() {},
  finish() {},
  print: () => '',
  createState: noState,
  // HOT
  target(d, skb, env) {
    env.event(d, skb);
    return Verdict.CONTINUE;
  },
};

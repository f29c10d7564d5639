// Conntrack configuration resolved once: the nf_conntrack_* sysctls with the kernel's defaults for a fresh
// network namespace (reference 5.4/5.5), timeouts converted to virtual nanoseconds, and the table geometry.
// Invalid option values are rejected eagerly with a typed error naming the option.

import { NfError } from '../../util/errors.js';
import type { ConntrackOptions, ConntrackSysctls } from './api.js';
import { TcpState } from './api.js';
import { defaultSysctls } from '../../host/sysctl.js';

export const NS_PER_SEC = 1e9;

/**
 * Kernel defaults (6.12/6.18, fresh netns, RAM > 4 GiB: 262144 buckets and nf_conntrack_max): the conntrack
 * part of the host model's defaults, so both read one table.
 */
export function defaultConntrackSysctls(): ConntrackSysctls {
  return defaultSysctls();
}

/** tcp_timeouts[] index of the RETRANS and UNACK pseudo-states (after SYN_SENT2). */
export const TCP_TIMEOUT_RETRANS = 10;
export const TCP_TIMEOUT_UNACK = 11;

/** GRE timeouts (nf_conntrack_proto_gre.c: GRE_TIMEOUT, GRE_STREAM_TIMEOUT); not sysctls. */
export const GRE_TIMEOUT_S = 30;
export const GRE_STREAM_TIMEOUT_S = 180;

/** Resolved configuration; timeouts in ns. */
export class CtConfig {
  /** nf_conntrack_max; 0 means no limit (the kernel skips the check), bounded here by `capacity`. */
  readonly max: number;
  /** Records the table holds (before slack): nf_conntrack_max, or 1 Mi entries when it is 0. */
  readonly capacity: number;
  readonly buckets: number;
  readonly checksum: boolean;
  readonly acct: boolean;
  readonly tcpLoose: boolean;
  readonly tcpBeLiberal: boolean;
  readonly tcpMaxRetrans: number;
  readonly tcpIgnoreInvalidRst: boolean;
  /** tcp_timeouts[state] plus RETRANS (10) and UNACK (11), in ns. */
  readonly tcpTimeouts: Float64Array;
  readonly udpNs: number;
  readonly udpStreamNs: number;
  readonly icmpNs: number;
  readonly genericNs: number;
  readonly greNs: number;
  readonly greStreamNs: number;
  readonly cpus: number;
  readonly serviceNs: number;
  readonly seed: number;

  constructor(opts: ConntrackOptions = {}) {
    const s: ConntrackSysctls = { ...defaultConntrackSysctls() };
    const given = opts.sysctls ?? {};
    for (const k of Object.keys(s) as (keyof ConntrackSysctls)[]) {
      const v = given[k];
      if (v === undefined || typeof s[k] !== 'number') continue; // (the host's per-device table is not ours)
      if (!Number.isInteger(v) || v < 0) throw new NfError('ERR_CT_OPTION', `options.sysctls.${k} must be a non-negative integer, got ${String(v)}`);
      s[k] = v;
    }
    if (s.conntrackMax > 1 << 24) throw new NfError('ERR_CT_OPTION', `options.sysctls.conntrackMax ${s.conntrackMax} is larger than this model supports (16777216)`);
    if (s.conntrackBuckets < 1 || s.conntrackBuckets > 1 << 25) {
      throw new NfError('ERR_CT_OPTION', `options.sysctls.conntrackBuckets must be in 1..33554432, got ${s.conntrackBuckets}`);
    }
    const cpus = opts.cpus ?? 1;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 4096) throw new NfError('ERR_CT_OPTION', `options.cpus must be an integer in 1..4096, got ${String(cpus)}`);
    const serviceNs = opts.serviceNs ?? 0;
    if (!Number.isFinite(serviceNs) || serviceNs < 0) throw new NfError('ERR_CT_OPTION', `options.serviceNs must be a non-negative number, got ${String(serviceNs)}`);
    const seed = opts.seed ?? 0;
    if (!Number.isInteger(seed)) throw new NfError('ERR_CT_OPTION', `options.seed must be an integer, got ${String(seed)}`);

    this.max = s.conntrackMax;
    this.capacity = s.conntrackMax === 0 ? Math.max(s.conntrackBuckets, 1 << 20) : s.conntrackMax;
    this.buckets = s.conntrackBuckets;
    this.checksum = s.conntrackChecksum !== 0;
    this.acct = s.conntrackAcct !== 0;
    this.tcpLoose = s.tcpLoose !== 0;
    this.tcpBeLiberal = s.tcpBeLiberal !== 0;
    this.tcpMaxRetrans = s.tcpMaxRetrans;
    this.tcpIgnoreInvalidRst = s.tcpIgnoreInvalidRst !== 0;
    const t = new Float64Array(12);
    t[TcpState.NONE] = 0;
    t[TcpState.SYN_SENT] = s.tcpTimeoutSynSent * NS_PER_SEC;
    t[TcpState.SYN_RECV] = s.tcpTimeoutSynRecv * NS_PER_SEC;
    t[TcpState.ESTABLISHED] = s.tcpTimeoutEstablished * NS_PER_SEC;
    t[TcpState.FIN_WAIT] = s.tcpTimeoutFinWait * NS_PER_SEC;
    t[TcpState.CLOSE_WAIT] = s.tcpTimeoutCloseWait * NS_PER_SEC;
    t[TcpState.LAST_ACK] = s.tcpTimeoutLastAck * NS_PER_SEC;
    t[TcpState.TIME_WAIT] = s.tcpTimeoutTimeWait * NS_PER_SEC;
    t[TcpState.CLOSE] = s.tcpTimeoutClose * NS_PER_SEC;
    // SYN_SENT2 shares the SYN_SENT sysctl (nf_conntrack_proto_tcp.c tcp_timeouts / sysctl table)
    t[TcpState.SYN_SENT2] = s.tcpTimeoutSynSent * NS_PER_SEC;
    t[TCP_TIMEOUT_RETRANS] = s.tcpTimeoutMaxRetrans * NS_PER_SEC;
    t[TCP_TIMEOUT_UNACK] = s.tcpTimeoutUnacknowledged * NS_PER_SEC;
    this.tcpTimeouts = t;
    this.udpNs = s.udpTimeout * NS_PER_SEC;
    this.udpStreamNs = s.udpTimeoutStream * NS_PER_SEC;
    this.icmpNs = s.icmpTimeout * NS_PER_SEC;
    this.genericNs = s.genericTimeout * NS_PER_SEC;
    this.greNs = GRE_TIMEOUT_S * NS_PER_SEC;
    this.greStreamNs = GRE_STREAM_TIMEOUT_S * NS_PER_SEC;
    this.cpus = cpus;
    this.serviceNs = serviceNs;
    this.seed = seed | 0;
  }
}

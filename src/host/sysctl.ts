// The sysctls that change what the datapath does, with the kernel's defaults for a fresh network namespace
// (reference section 5.4, icmp.c, nf_conntrack_*). A snapshot's sysctl.txt overrides what it lists.

import { SnapshotError } from '../util/errors.js';

export interface HostSysctls {
  ipForward: number;
  bridgeNfCallIptables: number;
  conntrackMax: number;
  conntrackBuckets: number;
  conntrackChecksum: number;
  conntrackAcct: number;
  tcpLoose: number;
  tcpBeLiberal: number;
  tcpMaxRetrans: number;
  tcpIgnoreInvalidRst: number;
  udpTimeout: number;
  udpTimeoutStream: number;
  icmpTimeout: number;
  genericTimeout: number;
  tcpTimeoutSynSent: number;
  tcpTimeoutSynRecv: number;
  tcpTimeoutEstablished: number;
  tcpTimeoutFinWait: number;
  tcpTimeoutCloseWait: number;
  tcpTimeoutLastAck: number;
  tcpTimeoutTimeWait: number;
  tcpTimeoutClose: number;
  tcpTimeoutMaxRetrans: number;
  tcpTimeoutUnacknowledged: number;
  ipDefaultTtl: number;
  icmpRatelimitMs: number;
  icmpRatemask: number;
  icmpMsgsPerSec: number;
  icmpMsgsBurst: number;
  icmpEchoIgnoreAll: number;
  /** net.ipv4.fwmark_reflect: the host's own answers (echo replies, RSTs, ICMP errors) carry the mark of what they answer (IP4_REPLY_MARK). */
  fwmarkReflect: number;
  icmpErrorsUseInboundIfaddr: number;
  ipLocalPortMin: number;
  ipLocalPortMax: number;
  /** net.ipv4.conf.all.<key> for the per-device keys of DEVICE_KEYS. */
  sendRedirectsAll: number;
  sharedMediaAll: number;
  rpFilterAll: number;
  acceptLocalAll: number;
  routeLocalnetAll: number;
  srcValidMarkAll: number;
  /** Per-device values of those, by "<dev>.<key>" (the kernel default when not listed). */
  perDevice: Record<string, number>;
}

export function defaultSysctls(): HostSysctls {
  return {
    ipForward: 0,
    bridgeNfCallIptables: 1,
    conntrackMax: 262144,
    conntrackBuckets: 262144,
    conntrackChecksum: 1,
    conntrackAcct: 0,
    tcpLoose: 1,
    tcpBeLiberal: 0,
    tcpMaxRetrans: 3,
    tcpIgnoreInvalidRst: 0,
    udpTimeout: 30,
    udpTimeoutStream: 120,
    icmpTimeout: 30,
    genericTimeout: 600,
    tcpTimeoutSynSent: 120,
    tcpTimeoutSynRecv: 60,
    tcpTimeoutEstablished: 432000,
    tcpTimeoutFinWait: 120,
    tcpTimeoutCloseWait: 60,
    tcpTimeoutLastAck: 30,
    tcpTimeoutTimeWait: 120,
    tcpTimeoutClose: 10,
    tcpTimeoutMaxRetrans: 300,
    tcpTimeoutUnacknowledged: 300,
    ipDefaultTtl: 64,
    icmpRatelimitMs: 1000,
    icmpRatemask: 6168,
    icmpMsgsPerSec: 1000,
    icmpMsgsBurst: 50,
    icmpEchoIgnoreAll: 0,
    fwmarkReflect: 0,
    icmpErrorsUseInboundIfaddr: 0,
    ipLocalPortMin: 32768,
    ipLocalPortMax: 60999,
    sendRedirectsAll: 1,
    sharedMediaAll: 1,
    rpFilterAll: 0,
    acceptLocalAll: 0,
    routeLocalnetAll: 0,
    srcValidMarkAll: 0,
    perDevice: {},
  };
}

/** The single-number sysctls. */
type NumericSysctl = Exclude<keyof HostSysctls, 'perDevice'>;

/** The per-device keys the model reads (net.ipv4.conf.<dev>.<key>). */
export type DeviceKey = 'send_redirects' | 'shared_media' | 'rp_filter' | 'accept_local' | 'route_localnet' | 'src_valid_mark';

/**
 * Per device key: the field holding conf.all, a device's value when the snapshot does not list it (the
 * kernel's default), and how the kernel combines all and the device: IN_DEV_ORCONF (either one non-zero)
 * or IN_DEV_MAXCONF (the larger value: conf.all.rp_filter = 1 with a device at 2 is loose mode there).
 */
const DEVICE_KEYS: Readonly<Record<DeviceKey, { all: NumericSysctl; dflt: number; max: boolean }>> = {
  send_redirects: { all: 'sendRedirectsAll', dflt: 1, max: false },
  shared_media: { all: 'sharedMediaAll', dflt: 1, max: false },
  rp_filter: { all: 'rpFilterAll', dflt: 0, max: true },
  accept_local: { all: 'acceptLocalAll', dflt: 0, max: false },
  route_localnet: { all: 'routeLocalnetAll', dflt: 0, max: false },
  src_valid_mark: { all: 'srcValidMarkAll', dflt: 0, max: false },
};

/** net.ipv4.conf.<dev>.<key> for the per-device keys the model reads. */
const DEVICE_CONF = /^net\.ipv4\.conf\.([^.]+)\.(send_redirects|shared_media|rp_filter|accept_local|route_localnet|src_valid_mark)$/;

/** The effective value of device setting `key` on `dev`: IN_DEV_MAXCONF for rp_filter, IN_DEV_ORCONF else (0 or 1). */
export function devConf(s: HostSysctls, dev: string, key: DeviceKey): number {
  const k = DEVICE_KEYS[key];
  const all = s[k.all];
  const own = s.perDevice[`${dev}.${key}`] ?? k.dflt;
  if (k.max) return all > own ? all : own;
  return all !== 0 || own !== 0 ? 1 : 0;
}

/** Is device setting `key` on for `dev`? */
export function devConfOn(s: HostSysctls, dev: string, key: DeviceKey): boolean {
  return devConf(s, dev, key) !== 0;
}

/** sysctl name → field; names not listed here are accepted and ignored (they do not affect the model). */
const KEYS: Readonly<Record<string, NumericSysctl>> = {
  'net.ipv4.ip_forward': 'ipForward',
  'net.ipv4.conf.all.forwarding': 'ipForward',
  'net.bridge.bridge-nf-call-iptables': 'bridgeNfCallIptables',
  'net.netfilter.nf_conntrack_max': 'conntrackMax',
  'net.nf_conntrack_max': 'conntrackMax',
  'net.netfilter.nf_conntrack_buckets': 'conntrackBuckets',
  'net.netfilter.nf_conntrack_checksum': 'conntrackChecksum',
  'net.netfilter.nf_conntrack_acct': 'conntrackAcct',
  'net.netfilter.nf_conntrack_tcp_loose': 'tcpLoose',
  'net.netfilter.nf_conntrack_tcp_be_liberal': 'tcpBeLiberal',
  'net.netfilter.nf_conntrack_tcp_max_retrans': 'tcpMaxRetrans',
  'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst': 'tcpIgnoreInvalidRst',
  'net.netfilter.nf_conntrack_udp_timeout': 'udpTimeout',
  'net.netfilter.nf_conntrack_udp_timeout_stream': 'udpTimeoutStream',
  'net.netfilter.nf_conntrack_icmp_timeout': 'icmpTimeout',
  'net.netfilter.nf_conntrack_generic_timeout': 'genericTimeout',
  'net.netfilter.nf_conntrack_tcp_timeout_syn_sent': 'tcpTimeoutSynSent',
  'net.netfilter.nf_conntrack_tcp_timeout_syn_recv': 'tcpTimeoutSynRecv',
  'net.netfilter.nf_conntrack_tcp_timeout_established': 'tcpTimeoutEstablished',
  'net.netfilter.nf_conntrack_tcp_timeout_fin_wait': 'tcpTimeoutFinWait',
  'net.netfilter.nf_conntrack_tcp_timeout_close_wait': 'tcpTimeoutCloseWait',
  'net.netfilter.nf_conntrack_tcp_timeout_last_ack': 'tcpTimeoutLastAck',
  'net.netfilter.nf_conntrack_tcp_timeout_time_wait': 'tcpTimeoutTimeWait',
  'net.netfilter.nf_conntrack_tcp_timeout_close': 'tcpTimeoutClose',
  'net.netfilter.nf_conntrack_tcp_timeout_max_retrans': 'tcpTimeoutMaxRetrans',
  'net.netfilter.nf_conntrack_tcp_timeout_unacknowledged': 'tcpTimeoutUnacknowledged',
  'net.ipv4.ip_default_ttl': 'ipDefaultTtl',
  'net.ipv4.icmp_ratelimit': 'icmpRatelimitMs',
  'net.ipv4.icmp_ratemask': 'icmpRatemask',
  'net.ipv4.icmp_msgs_per_sec': 'icmpMsgsPerSec',
  'net.ipv4.icmp_msgs_burst': 'icmpMsgsBurst',
  'net.ipv4.icmp_echo_ignore_all': 'icmpEchoIgnoreAll',
  'net.ipv4.fwmark_reflect': 'fwmarkReflect',
  'net.ipv4.icmp_errors_use_inbound_ifaddr': 'icmpErrorsUseInboundIfaddr',
};

/** Parse `sysctl -a` style text ("name = value", one per line). */
export function parseSysctls(text: string, path: string): HostSysctls {
  const out = defaultSysctls();
  applySysctls(out, text, path);
  return out;
}

/**
 * Apply "name = value" lines (or "name=value" overrides from the command line) on top of `out`. Names the
 * model does not use are accepted and ignored; malformed lines and values are errors naming the line.
 */
export function applySysctls(out: HostSysctls, text: string, path: string): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new SnapshotError('ERR_SNAPSHOT_SYSCTL_SYNTAX', `expected "name = value", got "${line}"`, { path, line: i + 1, column: 1 });
    const name = line.slice(0, eq).trim().replace(/\//g, '.');
    const value = line.slice(eq + 1).trim();
    if (name === 'net.ipv4.ip_local_port_range') {
      const m = /^(\d+)\s+(\d+)$/.exec(value);
      if (!m) throw new SnapshotError('ERR_SNAPSHOT_SYSCTL_VALUE', `${name} needs two numbers, got "${value}"`, { path, line: i + 1, column: eq + 2 });
      out.ipLocalPortMin = Number(m[1]);
      out.ipLocalPortMax = Number(m[2]);
      continue;
    }
    const dc = DEVICE_CONF.exec(name);
    const key = KEYS[name];
    if (key === undefined && dc === null) continue;
    if (!/^-?\d+$/.test(value)) throw new SnapshotError('ERR_SNAPSHOT_SYSCTL_VALUE', `${name} must be an integer, got "${value}"`, { path, line: i + 1, column: eq + 2 });
    if (dc !== null) {
      // conf.default only seeds devices created later: the snapshot's devices have their own values
      if (dc[1] === 'all') out[DEVICE_KEYS[dc[2] as DeviceKey].all] = Number(value);
      else if (dc[1] !== 'default') out.perDevice[`${dc[1]}.${dc[2]}`] = Number(value);
      continue;
    }
    out[key!] = Number(value);
  }
}

/** True when `name` is a sysctl the model reads (for validating command-line overrides). */
export function isModelledSysctl(name: string): boolean {
  return name in KEYS || name === 'net.ipv4.ip_local_port_range' || DEVICE_CONF.test(name);
}

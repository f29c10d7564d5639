// Collects a host snapshot on a live Linux host (optionally inside a network namespace): runs the same
// commands an operator would (`ip -j -d addr show`, `ip -j route show table all`, `ip -j rule show`, `ip -j neigh show`,
// `bridge -j link show`, `ss -H -ltun`, `ip -j maddr show`, `bridge -j fdb show`) and reads the sysctls the model uses, writing each
// file atomically.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NfError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { SNAPSHOT_FILES } from './snapshot.js';

/** The sysctls written to sysctl.txt (those the model reads; see sysctl.ts). */
export const COLLECTED_SYSCTLS = [
  'net.ipv4.ip_forward',
  'net.bridge.bridge-nf-call-iptables',
  'net.netfilter.nf_conntrack_max',
  'net.netfilter.nf_conntrack_buckets',
  'net.netfilter.nf_conntrack_checksum',
  'net.netfilter.nf_conntrack_acct',
  'net.netfilter.nf_conntrack_tcp_loose',
  'net.netfilter.nf_conntrack_tcp_be_liberal',
  'net.netfilter.nf_conntrack_tcp_max_retrans',
  'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst',
  'net.netfilter.nf_conntrack_udp_timeout',
  'net.netfilter.nf_conntrack_udp_timeout_stream',
  'net.netfilter.nf_conntrack_icmp_timeout',
  'net.netfilter.nf_conntrack_generic_timeout',
  'net.netfilter.nf_conntrack_tcp_timeout_syn_sent',
  'net.netfilter.nf_conntrack_tcp_timeout_syn_recv',
  'net.netfilter.nf_conntrack_tcp_timeout_established',
  'net.netfilter.nf_conntrack_tcp_timeout_fin_wait',
  'net.netfilter.nf_conntrack_tcp_timeout_close_wait',
  'net.netfilter.nf_conntrack_tcp_timeout_last_ack',
  'net.netfilter.nf_conntrack_tcp_timeout_time_wait',
  'net.netfilter.nf_conntrack_tcp_timeout_close',
  'net.netfilter.nf_conntrack_tcp_timeout_max_retrans',
  'net.netfilter.nf_conntrack_tcp_timeout_unacknowledged',
  'net.ipv4.ip_default_ttl',
  'net.ipv4.fwmark_reflect',
  'net.ipv4.icmp_ratelimit',
  'net.ipv4.icmp_ratemask',
  'net.ipv4.icmp_msgs_per_sec',
  'net.ipv4.icmp_msgs_burst',
  'net.ipv4.icmp_echo_ignore_all',
  'net.ipv4.icmp_errors_use_inbound_ifaddr',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.conf.all.send_redirects',
  'net.ipv4.conf.all.shared_media',
  'net.ipv4.conf.all.rp_filter',
  'net.ipv4.conf.all.accept_local',
  'net.ipv4.conf.all.route_localnet',
  'net.ipv4.conf.all.src_valid_mark',
] as const;

/** Per-device sysctls also collected, for every interface of ip-addr.json. */
export const COLLECTED_DEVICE_SYSCTLS = ['send_redirects', 'shared_media', 'rp_filter', 'accept_local', 'route_localnet', 'src_valid_mark'] as const;

export interface CollectOptions {
  /** Network namespace to collect from (`ip netns exec NAME`), or null for the current one. */
  netns: string | null;
}

export interface CollectResult {
  files: string[];
  /** Sysctls that do not exist on this host (module not loaded, e.g. br_netfilter): left out. */
  missingSysctls: string[];
}

function run(cmd: string, args: string[], netns: string | null): string {
  const [file, argv] = netns === null ? [cmd, args] : ['ip', ['netns', 'exec', netns, cmd, ...args]];
  try {
    return execFileSync(file, argv, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new NfError('ERR_SNAPSHOT_TOOL_MISSING', `"${file}" is not installed (needed to collect a snapshot)`);
    throw new NfError('ERR_SNAPSHOT_COMMAND', `"${[file, ...argv].join(' ')}" failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** run(), or null when the tool is not installed (looked up on PATH first: `ip netns exec` hides ENOENT). */
function runOptional(cmd: string, args: string[], netns: string | null): string | null {
  const found = (process.env['PATH'] ?? '').split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return found ? run(cmd, args, netns) : null;
}

function readSysctl(name: string, netns: string | null): string | null {
  if (netns === null) {
    const p = path.join('/proc/sys', ...name.split('.'));
    try {
      return fs.readFileSync(p, 'utf8').trim();
    } catch {
      return null;
    }
  }
  try {
    return execFileSync('ip', ['netns', 'exec', netns, 'cat', path.join('/proc/sys', ...name.split('.'))], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Collect into `dir` (created if needed). */
export function collectSnapshot(dir: string, opts: CollectOptions): CollectResult {
  fs.mkdirSync(dir, { recursive: true });
  const outputs: [string, string][] = [
    [SNAPSHOT_FILES.addr, run('ip', ['-j', '-d', 'addr', 'show'], opts.netns)],
    [SNAPSHOT_FILES.route, run('ip', ['-j', 'route', 'show', 'table', 'all'], opts.netns)],
    [SNAPSHOT_FILES.rule, run('ip', ['-j', 'rule', 'show'], opts.netns)],
    [SNAPSHOT_FILES.neigh, run('ip', ['-j', 'neigh', 'show'], opts.netns)],
    [SNAPSHOT_FILES.bridge, run('bridge', ['-j', 'link', 'show'], opts.netns)],
    [SNAPSHOT_FILES.listen, run('ss', ['-H', '-ltun'], opts.netns)],
    [SNAPSHOT_FILES.maddr, run('ip', ['-j', 'maddr', 'show'], opts.netns)],
    [SNAPSHOT_FILES.fdb, run('bridge', ['-j', 'fdb', 'show'], opts.netns)],
  ];
  const missingSysctls: string[] = [];
  let sysctl = '';
  for (const name of COLLECTED_SYSCTLS) {
    const v = readSysctl(name, opts.netns);
    if (v === null) missingSysctls.push(name);
    else sysctl += `${name} = ${v}\n`;
  }
  for (const dev of interfaceNames(outputs[0]![1])) {
    for (const key of COLLECTED_DEVICE_SYSCTLS) {
      const v = readSysctl(`net.ipv4.conf.${dev}.${key}`, opts.netns);
      if (v !== null) sysctl += `net.ipv4.conf.${dev}.${key} = ${v}\n`;
    }
  }
  outputs.push([SNAPSHOT_FILES.sysctl, sysctl]);
  // ipset is optional on a host: its absence only means no sets to record
  const sets = runOptional('ipset', ['save'], opts.netns);
  if (sets !== null) outputs.push([SNAPSHOT_FILES.ipsets, sets]);
  const files: string[] = [];
  for (const [name, content] of outputs) {
    const target = path.join(dir, name);
    writeFileAtomic(target, content);
    files.push(target);
  }
  return { files, missingSysctls };
}

/** Interface names in `ip -j addr` output (those a sysctl path can name: no dots or slashes). */
function interfaceNames(addrJson: string): string[] {
  try {
    const list = JSON.parse(addrJson) as { ifname?: unknown }[];
    return list.map((e) => e.ifname).filter((n): n is string => typeof n === 'string' && /^[^./]+$/.test(n));
  } catch {
    return [];
  }
}

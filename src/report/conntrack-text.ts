// `conntrack -L -o extended` and `conntrack -S` text exactly as conntrack-tools 1.4.7 prints them
// (libnetfilter_conntrack __snprintf_conntrack_default; conntrack.c nfct_stats_cb), from the structured
// entry dumps and per-CPU counters of netfilter/conntrack. Formatting only; no netfilter logic here.

import { formatIpv4 } from '../util/ipv4.js';
import type { CtEntryDump, CtTupleDump } from '../netfilter/conntrack/api.js';
import { CT_STAT_COUNT, CT_STAT_NAMES } from '../netfilter/conntrack/api.js';
import { CtStatus } from '../netfilter/skb.js';

/** proto2str of libnetfilter_conntrack. */
const PROTO_NAMES: Readonly<Record<number, string>> = { 6: 'tcp', 17: 'udp', 136: 'udplite', 1: 'icmp', 58: 'icmpv6', 132: 'sctp', 47: 'gre', 33: 'dccp' };

/** Options of the -L text. */
export interface ConntrackTextOptions {
  /** nf_conntrack_acct: print packets=/bytes= (the kernel only reports counters when accounting is on). */
  acct: boolean;
}

/** "%-8s %u " as printf pads it. */
function padded(name: string, num: number): string {
  return `${name.padEnd(8)} ${num} `;
}

function tupleText(proto: number, t: CtTupleDump): string {
  let s = `src=${formatIpv4(t.src)} dst=${formatIpv4(t.dst)} `;
  switch (proto) {
    case 6:
    case 17:
    case 136:
    case 132:
    case 33:
      s += `sport=${t.sport} dport=${t.dport} `;
      break;
    case 47:
      s += `srckey=0x${t.sport.toString(16)} dstkey=0x${t.dport.toString(16)} `;
      break;
    case 1:
    case 58:
      s += `type=${t.icmpType} code=${t.icmpCode} id=${t.icmpId} `;
      break;
    default:
      break;
  }
  return s;
}

/** One `conntrack -L -o extended` line (without the newline). */
export function formatConntrackEntry(e: CtEntryDump, opts: ConntrackTextOptions): string {
  let s = padded('ipv4', 2) + padded(PROTO_NAMES[e.proto] ?? 'unknown', e.proto) + `${e.timeout} `;
  if (e.proto === 6) s += `${e.state} `;
  // a zone for one direction only prints after that tuple (CTA_TUPLE_ZONE), one for both after the mark
  const zid = e.zone & 0xffff;
  const dirs = e.zone >>> 16;
  s += tupleText(e.proto, e.original);
  if (zid !== 0 && dirs === 1) s += `zone-orig=${zid} `;
  if (opts.acct) s += `packets=${e.original.packets} bytes=${e.original.bytes} `;
  if ((e.status & CtStatus.SEEN_REPLY) === 0) s += '[UNREPLIED] ';
  s += tupleText(e.proto, e.reply);
  if (zid !== 0 && dirs === 2) s += `zone-reply=${zid} `;
  if (opts.acct) s += `packets=${e.reply.packets} bytes=${e.reply.bytes} `;
  if ((e.status & CtStatus.HW_OFFLOAD) !== 0) s += '[HW_OFFLOAD] ';
  else if ((e.status & CtStatus.OFFLOAD) !== 0) s += '[OFFLOAD] ';
  else if ((e.status & CtStatus.ASSURED) !== 0) s += '[ASSURED] ';
  s += `mark=${e.mark} `;
  if (zid !== 0 && dirs === 3) s += `zone=${zid} `;
  s += `use=${e.use} `;
  return s.slice(0, -1); // the last blank is deleted
}

/** The whole -L listing: one line per entry, each ending in a newline. */
export function formatConntrackList(entries: readonly CtEntryDump[], opts: ConntrackTextOptions): string {
  let out = '';
  for (const e of entries) out += formatConntrackEntry(e, opts) + '\n';
  return out;
}

/** The footer conntrack-tools writes to stderr after a -L listing. */
export function formatConntrackListFooter(count: number): string {
  return `conntrack v1.4.7 (conntrack-tools): ${count} flow entries have been shown.\n`;
}

/** Anything with per-CPU counters (Conntrack, or a plain table in tests). */
export interface CtStatSource {
  readonly cpus: number;
  stat(cpu: number, stat: number): number;
}

/** `conntrack -S`: "cpu=%-4u\t" then "name=%u " per counter, one line per CPU. */
export function formatConntrackStats(src: CtStatSource): string {
  let out = '';
  for (let cpu = 0; cpu < src.cpus; cpu++) {
    out += `cpu=${String(cpu).padEnd(4)}\t`;
    for (let k = 0; k < CT_STAT_COUNT; k++) out += `${CT_STAT_NAMES[k]}=${src.stat(cpu, k) >>> 0} `;
    out += '\n';
  }
  return out;
}

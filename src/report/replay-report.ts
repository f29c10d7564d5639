// report.json of a replay and its human summary: inputs and options, packet fates, table verdicts per hook,
// drops by reason (and the first drops itemised), NAT bindings, MSS rewrites, LOG events, conntrack totals
// and `-S` counters per vCPU, decode events, frames per output interface, and warnings.

import type { Host } from '../host/host.js';
import type { RuleEngine } from '../netfilter/rules/engine.js';
import type { Datapath } from '../netfilter/path/datapath.js';
import type { ReplayOutputs, DropRecord, MssRewrite, NatBindingRecord, LogRecord } from '../engine/outputs.js';
import type { DecodeCounters } from '../decode/counters.js';
import type { VcpuScheduler } from '../engine/schedule.js';
import type { ConntrackApi, CtEntryDump } from '../netfilter/conntrack/api.js';
import { CT_STAT_COUNT, CT_STAT_NAMES } from '../netfilter/conntrack/api.js';
import { HOOK_NAMES } from '../netfilter/skb.js';
import { VERSION } from '../cli/version.js';

export interface ReplayReportInput {
  options: {
    captures: string[];
    rulesPath: string;
    snapshotDir: string;
    outDir: string;
    cpus: number;
    steering: string;
    serviceNs: number;
    seed: number;
    speed: number;
    engine: string;
  };
  host: Host;
  rules: RuleEngine;
  dp: Datapath;
  outputs: ReplayOutputs;
  counters: DecodeCounters;
  ingressSkipped: readonly number[];
  sched: VcpuScheduler;
  conntrack: ConntrackApi;
  dump: readonly CtEntryDump[];
  conntrackActive: boolean;
  packets: number;
  spanNs: number;
  warnings: string[];
  skipNames: Readonly<Record<string, number>>;
}

export interface ReplayReport {
  nfreplay: string;
  inputs: { captures: string[]; rules: string; snapshot: string };
  options: { cpus: number; steering: string; serviceNs: number; seed: number; speed: number; engine: string };
  packets: {
    replayed: number;
    notReplayed: Record<string, number>;
    forwarded: number;
    bridged: number;
    deliveredLocally: number;
    hostAnswers: number;
    reassembled: number;
    nonIpv4: number;
    captureSpanSeconds: number;
  };
  verdictsPerHook: Record<string, { accept: number; drop: number; queue: number; stolen: number }>;
  drops: { total: number; byReason: Record<string, number>; first: DropRecord[] };
  nat: { bindings: number; first: NatBindingRecord[] };
  mss: { rewrites: number; first: MssRewrite[] };
  log: { events: number; first: LogRecord[] };
  conntrack: { active: boolean; entries: number; statsPerCpu: Record<string, number>[] };
  vcpus: { cpu: number; packets: number; busySeconds: number }[];
  decodeEvents: Record<string, number>;
  tx: Record<string, number>;
  warnings: string[];
}

export function buildReplayReport(i: ReplayReportInput): ReplayReport {
  const o = i.options;
  const dp = i.dp;
  const st = dp.stats;
  const verdicts: ReplayReport['verdictsPerHook'] = {};
  for (let h = 0; h < 5; h++) {
    const v = st.verdicts;
    verdicts[HOOK_NAMES[h]!] = { accept: v[h * 4]!, drop: v[h * 4 + 1]!, queue: v[h * 4 + 2]!, stolen: v[h * 4 + 3]! };
  }
  const notReplayed: Record<string, number> = {};
  const names = ['input', 'sentByTheHost', 'notAnIngressPoint', 'unmappedInterface', 'passedThrough'];
  for (let k = 1; k < i.ingressSkipped.length; k++) notReplayed[names[k]!] = i.ingressSkipped[k]!;
  notReplayed['backlog'] = i.sched.backlogDrops;
  const byReason: Record<string, number> = {};
  let total = 0;
  for (const [k, n] of [...st.drops.entries()].sort()) {
    byReason[k] = n;
    total += n;
  }
  const statsPerCpu: Record<string, number>[] = [];
  for (let cpu = 0; cpu < i.conntrack.cpus; cpu++) {
    const row: Record<string, number> = { cpu };
    for (let k = 0; k < CT_STAT_COUNT; k++) row[CT_STAT_NAMES[k]!] = i.conntrack.stat(cpu, k);
    statsPerCpu.push(row);
  }
  const vcpus = [];
  for (let v = 0; v < i.sched.cpus; v++) vcpus.push({ cpu: v, packets: i.sched.served[v]!, busySeconds: i.sched.busyNs[v]! / 1e9 });
  return {
    nfreplay: VERSION,
    inputs: { captures: o.captures, rules: o.rulesPath, snapshot: o.snapshotDir },
    options: { cpus: o.cpus, steering: o.steering, serviceNs: o.serviceNs, seed: o.seed, speed: o.speed, engine: o.engine },
    packets: {
      replayed: i.packets,
      notReplayed,
      forwarded: st.forwarded,
      bridged: st.bridged,
      deliveredLocally: st.delivered,
      hostAnswers: i.outputs.answers,
      reassembled: i.outputs.reassembled,
      nonIpv4: st.nonIp,
      captureSpanSeconds: i.spanNs / 1e9,
    },
    verdictsPerHook: verdicts,
    drops: { total, byReason, first: i.outputs.dropList },
    nat: { bindings: i.outputs.natTotal, first: i.outputs.nat },
    mss: { rewrites: i.outputs.mssTotal, first: i.outputs.mss },
    log: { events: i.outputs.logTotal, first: i.outputs.logs },
    conntrack: { active: i.conntrackActive, entries: i.dump.length, statsPerCpu },
    vcpus,
    decodeEvents: i.counters.events(),
    tx: i.outputs.txSummary(),
    warnings: i.warnings,
  };
}

/** The summary printed on stdout without --json. */
export function renderReplaySummary(r: ReplayReport, outDir: string): string {
  const lines: string[] = [];
  const p = r.packets;
  lines.push(`replayed ${p.replayed} packets over ${p.captureSpanSeconds.toFixed(6)} s of capture on ${r.options.cpus} vCPU(s)`);
  const skipped = Object.entries(p.notReplayed).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  if (skipped.length > 0) lines.push(`not replayed: ${skipped.join(', ')}`);
  lines.push(`forwarded ${p.forwarded}, bridged ${p.bridged}, delivered locally ${p.deliveredLocally}, host answers ${p.hostAnswers}, reassembled ${p.reassembled}, non-IPv4 ${p.nonIpv4}`);
  lines.push('');
  lines.push('hook           accept    drop');
  for (const [h, v] of Object.entries(r.verdictsPerHook)) lines.push(`${h.padEnd(12)} ${String(v.accept).padStart(8)} ${String(v.drop).padStart(7)}`);
  lines.push('');
  lines.push(`drops: ${r.drops.total}${r.drops.total > 0 ? ' (' + Object.entries(r.drops.byReason).map(([k, n]) => `${k} ${n}`).join(', ') + ')' : ''}`);
  for (const d of r.drops.first.slice(0, 10)) lines.push(`  packet ${d.packet}: ${d.detail || d.code} — ${d.flow}`);
  lines.push(`NAT bindings: ${r.nat.bindings}; MSS rewrites: ${r.mss.rewrites}; LOG events: ${r.log.events}`);
  lines.push(`conntrack: ${r.conntrack.active ? `${r.conntrack.entries} entries at the end of the capture` : 'not active (no rule needs it)'}`);
  const tx = Object.entries(r.tx).map(([k, n]) => `${k} ${n}`);
  lines.push(`frames sent: ${tx.length > 0 ? tx.join(', ') : 'none'}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push('');
  lines.push(`outputs in ${outDir}: tx/<iface>.pcap, drops.pcapng, iptables-save-c.txt, conntrack-L.txt, conntrack-S.txt, report.json`);
  return lines.join('\n') + '\n';
}

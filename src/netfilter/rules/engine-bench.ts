// The rule-set benchmark shared by `nfreplay bench rules` and bench/rules.ts: packets per second through the
// compiled and the interpreted evaluator, measured side by side (interleaved rounds) on the same packets, for
// a Docker host and kube-proxy nodes of several sizes; NEW packets walk the full nat traversal of a forwarded
// packet, established ones skip the nat tables. Also the distribution of entries the kernel's linear walk
// visits per packet (HDR histogram).

import * as os from 'node:os';
import type { RuleSet } from './ast.js';
import { loadEngine, runTable, RuleResult } from './engine.js';
import type { EngineKind, RuleEngine, TableProgram } from './engine.js';
import type { RuleEnv } from './engine-env.js';
import type { MatchEnv, TargetEnv, StatefulTargetData } from './module.js';
import { NatFlag, TargetKind } from './target-data.js';
import { ObservedDnat } from './nat-reach.js';
import { Hook, NONE, Skb, Verdict, CtStatus } from '../skb.js';
import { Interner } from '../../util/intern.js';
import { Prng } from '../../util/prng.js';
import { createHistogram, histogramSnapshot, recordClamped } from '../../stats/histogram.js';
import { dockerRules } from './gen/docker.js';
import { synthesizeDocker } from './gen/docker-synth.js';
import { kubeRules, synthesizeKube } from './gen/kube.js';
import { dockerPackets, kubePackets } from './gen/bench-packets.js';
import type { BenchPackets, BenchWorkload } from './gen/bench-packets.js';
import { NO_CONNTRACK } from './rule-conntrack.js';

/** One result record (the --json output is a list of these). */
export interface RuleBenchRecord {
  set: 'docker' | 'kube';
  /** kube: service ports; docker: published ports. */
  services: number;
  packets: 'new' | 'established';
  engine: EngineKind;
  /** Packets per second on one core (median of the rounds). */
  pps: number;
  /** Entries the kernel's linear walk visits per packet, over the whole traversal. */
  rulesVisited: { p50: number; p99: number };
}

/** Benchmark options (defaults in RULE_BENCH_DEFAULTS). */
export interface RuleBenchOptions {
  sets: readonly ('docker' | 'kube')[];
  /** kube-proxy sizes (service ports). */
  services: readonly number[];
  /** Endpoints per service port. */
  endpoints: number;
  dockerBridges: number;
  dockerPorts: number;
  kinds: readonly ('new' | 'established')[];
  /** Distinct packets generated per workload. */
  packets: number;
  /** Untimed warm-up per engine, then time per measurement and number of interleaved rounds (median reported). */
  warmupMs: number;
  durationMs: number;
  rounds: number;
  seed: number;
  /** Parser: iptables-save text → RuleSet. */
  parse: (text: string) => RuleSet;
  /** Progress lines (stderr in the CLI). */
  onProgress?: (line: string) => void;
}

export const RULE_BENCH_DEFAULTS = {
  sets: ['docker', 'kube'] as const,
  services: [100, 1000, 10000, 40000],
  endpoints: 3,
  dockerBridges: 4,
  dockerPorts: 16,
  kinds: ['new', 'established'] as const,
  packets: 4096,
  warmupMs: 1000,
  durationMs: 500,
  rounds: 5,
  seed: 1,
};

/** One table evaluation of a traversal. */
interface Step {
  program: TableProgram;
  hook: number;
}

/** NEW forwarded packet: raw PRE, mangle PRE, nat PRE, mangle FWD, filter FWD, mangle POST, nat POST. */
const NEW_PATH: readonly [string, number][] = [
  ['raw', Hook.PRE_ROUTING],
  ['mangle', Hook.PRE_ROUTING],
  ['nat', Hook.PRE_ROUTING],
  ['mangle', Hook.FORWARD],
  ['filter', Hook.FORWARD],
  ['mangle', Hook.POST_ROUTING],
  ['nat', Hook.POST_ROUTING],
];
/** Established packets: the nat tables are not walked (conntrack applies the bindings). */
const EST_PATH: readonly [string, number][] = [
  ['raw', Hook.PRE_ROUTING],
  ['mangle', Hook.PRE_ROUTING],
  ['mangle', Hook.FORWARD],
  ['filter', Hook.FORWARD],
  ['mangle', Hook.POST_ROUTING],
];

/** The datapath's part for benchmarks: NAT bindings applied to the header at once, no conntrack. */
class BenchTargetEnv implements TargetEnv {
  stateful(data: StatefulTargetData, skb: Skb): number {
    switch (data.kind) {
      case TargetKind.DNAT:
      case TargetKind.REDIRECT:
        if ((data.flags & NatFlag.MAP_IPS) !== 0) skb.meta.daddr = data.minAddr;
        if ((data.flags & NatFlag.PROTO_SPECIFIED) !== 0) skb.meta.dport = data.minProto;
        skb.ctStatus |= CtStatus.DST_NAT;
        return Verdict.ACCEPT;
      case TargetKind.SNAT:
      case TargetKind.MASQUERADE:
        skb.ctStatus |= CtStatus.SRC_NAT;
        return Verdict.ACCEPT;
      case TargetKind.NETMAP: {
        // netmap_tg4: the hook's side keeps its host bits, takes the network's
        const mask = ~(data.minAddr ^ data.maxAddr);
        const dst = skb.hook === Hook.PRE_ROUTING || skb.hook === Hook.LOCAL_OUT;
        const cur = dst ? skb.meta.daddr : skb.meta.saddr;
        const ip = ((cur & ~mask) | (data.minAddr & mask)) >>> 0;
        if (dst) skb.meta.daddr = ip;
        else skb.meta.saddr = ip;
        skb.ctStatus |= dst ? CtStatus.DST_NAT : CtStatus.SRC_NAT;
        return Verdict.ACCEPT;
      }
      case TargetKind.REJECT:
        return Verdict.DROP;
      case TargetKind.NFQUEUE:
        return Verdict.ACCEPT;
      default:
        return Verdict.CONTINUE;
    }
  }

  event(): void {}
}

function makeEnv(w: BenchWorkload, interner: Interner, seed: number): RuleEnv {
  const rng = new Prng(seed, 3);
  const match: MatchEnv = { host: w.host, ifName: (id) => interner.name(id), random32: () => rng.u32(), observedDnat: new ObservedDnat(), hotdrop: 0, conntrack: NO_CONNTRACK };
  return { match, target: new BenchTargetEnv() };
}

function steps(engine: RuleEngine, path: readonly [string, number][]): Step[] {
  const out: Step[] = [];
  for (const [t, hook] of path) {
    const program = engine.table(t);
    if (program !== undefined && program.layout.hookEntry[hook]! >= 0) out.push({ program, hook });
  }
  return out;
}

/** HOT: one packet through the traversal; returns the entries visited. */
// HOT: allocation-free
function traverse(path: Step[], pk: BenchPackets, i: number, established: boolean, skb: Skb, env: RuleEnv, res: RuleResult): number {
  pk.load(i, skb, established);
  let visited = 0;
  let routed = false;
  for (let k = 0; k < path.length; k++) {
    const st = path[k]!;
    if (!routed && st.hook !== Hook.PRE_ROUTING) {
      // after PREROUTING: established flows get their DNAT binding applied, then the route picks the device
      routed = true;
      if (established && pk.natAddr[i]! !== 0) {
        skb.meta.daddr = pk.natAddr[i]!;
        skb.meta.dport = pk.natPort[i]!;
      }
      skb.outIf = pk.outIf[i]!;
    }
    if (st.hook === Hook.POST_ROUTING) skb.inIf = NONE;
    skb.hook = st.hook;
    const v = runTable(st.program, st.hook, skb, env, res);
    visited += res.rulesVisited;
    if (v !== Verdict.ACCEPT) break;
  }
  return visited;
}

/** Packets per second of `path` over `pk` for about `ms` milliseconds. */
function measure(path: Step[], pk: BenchPackets, established: boolean, env: RuleEnv, ms: number): number {
  const skb = new Skb();
  const res = new RuleResult();
  const budget = BigInt(Math.round(ms * 1e6));
  const t0 = process.hrtime.bigint();
  let count = 0;
  let i = 0;
  let elapsed = 0n;
  do {
    for (let k = 0; k < 64; k++) {
      traverse(path, pk, i, established, skb, env, res);
      i = i + 1 === pk.n ? 0 : i + 1;
    }
    count += 64;
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < budget);
  return count / (Number(elapsed) / 1e9);
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

interface Workload {
  set: 'docker' | 'kube';
  services: number;
  text: string;
  make: (interner: Interner) => BenchWorkload;
}

function workloads(o: RuleBenchOptions): Workload[] {
  const out: Workload[] = [];
  if (o.sets.includes('docker')) {
    const host = synthesizeDocker({ bridges: o.dockerBridges, ports: o.dockerPorts, layout: 'classic', userlandProxy: true });
    out.push({ set: 'docker', services: o.dockerPorts, text: dockerRules(host), make: (int) => dockerPackets(host, int, o.packets, o.seed) });
  }
  if (o.sets.includes('kube')) {
    for (const s of o.services) {
      const cluster = synthesizeKube({ services: s, endpoints: o.endpoints, nodePorts: true });
      out.push({ set: 'kube', services: s, text: kubeRules(cluster), make: (int) => kubePackets(cluster, int, o.packets, o.seed) });
    }
  }
  return out;
}

/** Run the benchmark; records in workload order, compiled before interpreted. */
export function runRuleBench(o: RuleBenchOptions): RuleBenchRecord[] {
  const records: RuleBenchRecord[] = [];
  for (const w of workloads(o)) {
    const rs = o.parse(w.text);
    const interner = new Interner();
    const t0 = process.hrtime.bigint();
    const engines = { compiled: loadEngine(rs, { interner, engine: 'compiled' }), interpreted: loadEngine(rs, { interner, engine: 'interpreted' }) };
    const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const wl = w.make(interner);
    o.onProgress?.(`${w.set} ${w.services}: ${rs.rules.length} rules loaded in ${loadMs.toFixed(0)} ms`);
    for (const kind of o.kinds) {
      const est = kind === 'established';
      const paths = { compiled: steps(engines.compiled, est ? EST_PATH : NEW_PATH), interpreted: steps(engines.interpreted, est ? EST_PATH : NEW_PATH) };
      const envs = { compiled: makeEnv(wl, interner, o.seed), interpreted: makeEnv(wl, interner, o.seed) };
      // rules visited: both evaluators on the same packets with the same random draws must agree
      const hist = createHistogram({ lowest: 1, highest: 10_000_000, digits: 3 });
      const skbA = new Skb();
      const skbB = new Skb();
      const res = new RuleResult();
      const checkEnvA = makeEnv(wl, interner, o.seed + 1);
      const checkEnvB = makeEnv(wl, interner, o.seed + 1);
      for (let i = 0; i < wl.packets.n; i++) {
        const a = traverse(paths.compiled, wl.packets, i, est, skbA, checkEnvA, res);
        if (i < 512) {
          const b = traverse(paths.interpreted, wl.packets, i, est, skbB, checkEnvB, res);
          if (a !== b) throw new Error(`benchmark self-check: packet ${i} visits ${a} entries compiled, ${b} interpreted`);
        }
        recordClamped(hist, a);
      }
      const snap = histogramSnapshot(hist);
      const pps: Record<EngineKind, number[]> = { compiled: [], interpreted: [] };
      // warm-up, untimed: the JIT optimises the chain functions and templates the packets reach
      for (const e of ['compiled', 'interpreted'] as const) measure(paths[e], wl.packets, est, envs[e], o.warmupMs);
      for (let r = 0; r < o.rounds; r++) {
        for (const e of ['compiled', 'interpreted'] as const) pps[e].push(measure(paths[e], wl.packets, est, envs[e], o.durationMs));
      }
      for (const e of ['compiled', 'interpreted'] as const) {
        const rec: RuleBenchRecord = { set: w.set, services: w.services, packets: kind, engine: e, pps: Math.round(median(pps[e])), rulesVisited: { p50: snap.p50, p99: snap.p99 } };
        records.push(rec);
        o.onProgress?.(`  ${kind.padEnd(11)} ${e.padEnd(11)} ${rec.pps.toLocaleString('en-US').padStart(12)} pps   visited p50 ${snap.p50} p99 ${snap.p99}`);
      }
    }
  }
  return records;
}

/** One line describing the machine (CPU model, cores, Node). */
export function machineNote(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** Plain-text table of records, with speed ratios measured side by side. */
export function renderRuleBench(records: readonly RuleBenchRecord[]): string {
  let out = 'set     size    packets      compiled pps  interpreted pps   ratio   visited p50/p99\n';
  for (let i = 0; i + 1 < records.length; i += 2) {
    const c = records[i]!;
    const n = records[i + 1]!;
    out +=
      `${c.set.padEnd(7)} ${String(c.services).padStart(5)}   ${c.packets.padEnd(11)} ${c.pps.toLocaleString('en-US').padStart(13)} ` +
      `${n.pps.toLocaleString('en-US').padStart(16)} ${(c.pps / n.pps).toFixed(1).padStart(7)}x   ${c.rulesVisited.p50}/${c.rulesVisited.p99}\n`;
  }
  return out;
}

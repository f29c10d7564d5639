// The reference executor of `nfreplay replay`: loads the snapshot and the rule set, streams the captures
// through ingress mapping and the vCPU scheduler into the datapath, and writes every output. Deterministic
// for given inputs, seed, --cpus and timing options (ARCHITECTURE.md, determinism contract).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CaptureCursor } from '../capture/types.js';
import { decodeFrame, Verify } from '../decode/decode.js';
import { DecodeCounters } from '../decode/counters.js';
import { L3 } from '../decode/meta.js';
import { flowHash } from '../flow/hash.js';
import { loadSnapshot, SNAPSHOT_FILES } from '../host/snapshot.js';
import { applySysctls, isModelledSysctl } from '../host/sysctl.js';
import type { Host } from '../host/host.js';
import { Prng } from '../util/prng.js';
import { UsageError } from '../util/errors.js';
import { formatMac } from '../util/ipv4.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { parseRuleSet } from '../netfilter/rules/parse.js';
import { parseIpsetSave } from '../netfilter/rules/ipset-parse.js';
import { RuleSetError } from '../netfilter/rules/issues.js';
import { loadEngine } from '../netfilter/rules/engine.js';
import type { EngineKind, RuleEngine } from '../netfilter/rules/engine.js';
import { printRuleSet } from '../netfilter/rules/print.js';
import type { TraceSink } from '../netfilter/rules/trace.js';
import { createConntrack } from '../netfilter/conntrack/conntrack.js';
import { Nat } from '../netfilter/nat/nat.js';
import { Datapath } from '../netfilter/path/datapath.js';
import { HEADROOM } from '../netfilter/path/pkt.js';
import type { Pkt } from '../netfilter/path/pkt.js';
import { netifReceive } from '../netfilter/path/receive.js';
import { createRuleEnv } from '../netfilter/path/targets.js';
import { usesConnbytes } from '../netfilter/rules/match/xt_connbytes.js';
import { arpSolicit } from '../netfilter/path/arp.js';
import { neighSend, writeFrame } from '../netfilter/path/ip-output.js';
import { bridgedDnatSend } from '../netfilter/path/bridge.js';
import { icmpSend } from '../netfilter/path/icmp.js';
import type { NeighEvents } from '../netfilter/path/neigh.js';
import { unmodelledWarnings } from '../netfilter/rules/unmodelled.js';
import { formatConntrackList, formatConntrackStats } from '../report/conntrack-text.js';
import { IngressMap, Skip, superPacket } from './ingress.js';
import type { IngressBindings } from './ingress.js';
import { VcpuScheduler } from './schedule.js';
import { ReplayOutputs } from './outputs.js';
import { describePacket, tracePrinter } from './trace.js';
import { needsConntrack, isNftBackend } from './ct-needed.js';
import { buildReplayReport } from '../report/replay-report.js';
import { openTimeOrdered, prescan } from './prescan.js';
import type { PrescanResult } from './prescan.js';
import type { ReplayReport } from '../report/replay-report.js';

export type Steering = 'rps' | 'iface';

export interface ReplayOptions {
  captures: string[];
  rulesPath: string;
  snapshotDir: string;
  outDir: string;
  cpus: number;
  steering: Steering;
  /** Service time c per packet (ns). */
  serviceNs: number;
  seed: number;
  /** Capture time is divided by this (2 = twice as fast). */
  speed: number;
  ingress: IngressBindings;
  /** `ipset save` output for rule sets that use `-m set`, or null. */
  ipsetsPath: string | null;
  /** sysctl overrides "name=value" applied on top of the snapshot (e.g. a sysctl the snapshot omits). */
  sysctls: readonly string[];
  strict: boolean;
  engine: EngineKind;
  /** Write tx/<iface>.pcap (false: only count the frames each interface sends). */
  writeTx: boolean;
  /** Pre-scan the captures for neighbour resolution, the host's sockets and the kernel's random NAT choices. */
  prescan: boolean;
  /** 0-based input packet index to trace (-1: none), and where trace lines go. */
  traceIndex: number;
  traceOut: ((line: string) => void) | null;
  progress: ((bytes: number, total: number) => void) | null;
}

/** Options with every default of the command line filled in, for library callers (benchmarks, tests). */
export function replayOptions(required: Pick<ReplayOptions, 'captures' | 'rulesPath' | 'snapshotDir' | 'outDir'>, over: Partial<ReplayOptions> = {}): ReplayOptions {
  return {
    cpus: 1,
    steering: 'rps',
    serviceNs: 2000,
    seed: 1,
    speed: 1,
    ingress: new Map(),
    ipsetsPath: null,
    sysctls: [],
    strict: false,
    engine: 'compiled',
    traceIndex: -1,
    traceOut: null,
    progress: null,
    writeTx: true,
    prescan: true,
    ...required,
    ...over,
  };
}

export interface ReplayResult {
  report: ReplayReport;
  outDir: string;
}

/** Read and parse the rule set; every issue becomes one RuleSetError. */
function readRules(file: string, host: Host, engine: EngineKind, ipsetsPath: string | null): { rules: RuleEngine; text: string; warnings: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the rule set ${file}: ${(e as Error).message}`, 'ERR_RULES_READ');
  }
  let ipsets = null;
  if (ipsetsPath !== null) {
    let setText: string;
    try {
      setText = fs.readFileSync(ipsetsPath, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read the ipset contents ${ipsetsPath}: ${(e as Error).message}`, 'ERR_IPSETS_READ');
    }
    ipsets = parseIpsetSave(setText, ipsetsPath);
  }
  const parsed = parseRuleSet(text, { path: file, ipsets });
  if (parsed.issues.length > 0) throw new RuleSetError(parsed.issues, file);
  return { rules: loadEngine(parsed.ruleset, { interner: host.names, engine, ipsets }), text, warnings: unmodelledWarnings(parsed.ruleset, file) };
}

export function runReplay(o: ReplayOptions): ReplayResult {
  if (o.captures.length === 0) throw new UsageError('give at least one capture file');
  const host = loadSnapshot(o.snapshotDir);
  for (const kv of o.sysctls) {
    const eq = kv.indexOf('=');
    const name = eq > 0 ? kv.slice(0, eq).trim() : '';
    if (!isModelledSysctl(name)) throw new UsageError(`--sysctl ${kv}: not a sysctl nfreplay models (see README, "Host snapshot")`);
    applySysctls(host.sysctls, `${name} = ${kv.slice(eq + 1).trim()}`, '--sysctl');
  }
  // --ipsets, else the snapshot's own `ipset save` output when it has one
  const snapshotSets = path.join(o.snapshotDir, SNAPSHOT_FILES.ipsets);
  const ipsetsPath = o.ipsetsPath ?? (fs.existsSync(snapshotSets) ? snapshotSets : null);
  const { rules, text, warnings: ruleWarnings } = readRules(o.rulesPath, host, o.engine, ipsetsPath);
  const pre = o.prescan ? prescan(host, o.captures, o.ingress, o.strict) : null;
  const { cursor, origin } = openTimeOrdered(o.captures, pre?.split ?? null, o.strict);
  try {
    return replayWith(o, host, rules, text, ruleWarnings, cursor, origin, pre);
  } finally {
    cursor.close();
  }
}

function replayWith(
  o: ReplayOptions, host: Host, rules: RuleEngine, rulesText: string, ruleWarnings: string[], cursor: CaptureCursor, origin: number[], pre: PrescanResult | null,
): ReplayResult {
  const prng = new Prng(o.seed);
  const counters = new DecodeCounters();
  const ctActive = needsConntrack(rules.ruleSet);
  // connbytes_mt_check: "Forcing CT accounting to be enabled"
  if (usesConnbytes(rules.ruleSet) && host.sysctls.conntrackAcct === 0) {
    host.sysctls.conntrackAcct = 1;
    ruleWarnings.push('-m connbytes turns nf_conntrack_acct on, as the kernel does when such a rule loads');
  }
  const ct = createConntrack({ sysctls: host.sysctls, cpus: o.cpus, serviceNs: o.serviceNs, seed: o.seed });
  const natHost = {
    masqueradeSource: (outIf: number, nexthop: number) => host.selectAddr(outIf, nexthop, 0),
    redirectAddress: (inIf: number) => host.iface(inIf).addrs.find((a) => !a.secondary)?.local ?? 0,
  };
  const nat = new Nat({ conntrack: ct, prng: prng.fork('nat'), host: natHost, extras: ct });
  // the clock: virtual ns since the first packet's timestamp (set at that packet; `-m time` reads it too)
  const clock = { baseSec: 0, baseNsec: 0 };
  const ruleEnv = createRuleEnv(host, prng.fork('statistic'), clock);
  const ingress = new IngressMap(host, origin.map((i) => o.captures[i]!), o.ingress);
  const neighbourSeed = pre === null ? host.neighbours : host.neighbours.filter((n) => !pre.arpResolved.has(n.addr));

  let baseSec = -1;
  let baseNsec = 0;
  fs.mkdirSync(o.outDir, { recursive: true });
  const outputs = new ReplayOutputs(o.outDir, host, clock, o.writeTx);

  let dp: Datapath | null = null;
  const neighEvents: NeighEvents = {
    arpRequest: (dev, addr, hi, lo, now) => arpSolicit(dp!, dev, addr, hi, lo, now),
    failed: (p, now) => {
      p.finishNs = now;
      p.nowNs = now;
      icmpSend(dp!, p, 3, 1, 0);
      dp!.kernelDrop(p, 'neigh_failed', `no ARP reply for next hop (neighbour resolution failed)`, p.hook);
      dp!.dropPacket(p, 'neigh_failed', '');
    },
    resolved: (p, e, now) => {
      p.finishNs = now;
      if (p.bridgedDnat === 1) bridgedDnatSend(dp!, p, e.dev, e.macHi, e.macLo);
      else neighSend(dp!, p, e);
    },
  };
  dp = new Datapath({
    host,
    rules,
    ct,
    nat,
    env: ruleEnv.env,
    sink: outputs,
    prng: prng.fork('datapath'),
    counters,
    conntrackActive: ctActive,
    nftBackend: isNftBackend(rulesText),
    trace: null,
    neighEvents,
    clock,
    natHints: pre?.hints ?? null,
    vxlanHints: pre?.vxlan ?? null,
    txChecksums: pre?.txChecksums ?? null,
    foreignMacs: pre?.foreignMacs ?? null,
    learnedNexthops: pre?.nexthops ?? null,
    neighbourSeed,
  });
  for (const s of pre?.localSockets ?? []) dp.localSockets.addConnection(s.proto, s.addr, s.port);
  ruleEnv.bind(dp);

  const sched = new VcpuScheduler(o.cpus, o.serviceNs);
  const described = new Set<number>();
  const hashSeed = prng.fork('rps').u32();
  const ifaceVcpu = new Map<number, number>();
  let index = 0;
  let lastNs = 0;
  let firstNs = -1;
  let traceSink: TraceSink | null = null;
  if (o.traceIndex >= 0 && o.traceOut !== null) {
    traceSink = tracePrinter(o.traceOut, host.names);
    outputs.traceIndex = o.traceIndex;
    outputs.traceOut = o.traceOut;
  }

  const process = (p: Pkt): void => {
    dp!.neigh.runTimers(p.nowNs);
    const dev = p.iif;
    if (p.index === o.traceIndex && traceSink !== null) {
      dp!.trace = traceSink;
      o.traceOut!(`packet ${p.index}: ${describePacket(p)}`);
      o.traceOut!(`  received on ${host.iface(dev).name} at +${(p.nowNs / 1e9).toFixed(9)} s (vCPU ${p.vcpu}), link ${formatMac(p.srcMacHi, p.srcMacLo)} > ${formatMac(p.dstMacHi, p.dstMacLo)}`);
    }
    netifReceive(dp!, p, dev);
    dp!.trace = null;
  };
  /**
   * A frame another namespace's macvlan sent through `dev` at `t`: it crossed no hook of this host, so it
   * leaves unchanged, in its place among what the host sends (everything that started before it first).
   */
  const passThrough = (p: Pkt, dev: number, t: number): void => {
    let q;
    while ((q = sched.next(t)) !== null) process(q);
    p.finishNs = t;
    p.srcMacHi = p.meta.srcMacHi;
    p.srcMacLo = p.meta.srcMacLo;
    p.dstMacHi = p.meta.dstMacHi;
    p.dstMacLo = p.meta.dstMacLo;
    writeFrame(dp!, p, dev);
  };

  try {
    let rec;
    let n = 0;
    while ((rec = cursor.next()) !== null) {
      if (!described.has(rec.interfaceId)) {
        for (const ci of cursor.interfaces()) {
          if (described.has(ci.id)) continue;
          described.add(ci.id);
          ingress.describe(ci, o.captures[origin[ci.fileIndex]!] ?? '?');
        }
      }
      if (baseSec < 0) {
        baseSec = rec.tsSec;
        baseNsec = rec.tsNsec;
        clock.baseSec = baseSec;
        clock.baseNsec = baseNsec;
      }
      const t = ((rec.tsSec - baseSec) * 1e9 + (rec.tsNsec - baseNsec)) / o.speed;
      if (firstNs < 0) firstNs = t;
      if (t > lastNs) lastNs = t;
      const p = dp.pool.get();
      const len = Math.min(rec.caplen, p.buf.length - HEADROOM - 128);
      copyFrame(rec.data, rec.offset, len, p.buf);
      p.bindView();
      decodeFrame(p.meta, p.buf, HEADROOM, len, rec.origLen, rec.linkType, counters, Verify.ALL);
      const dev = ingress.classify(rec, p.meta);
      if (dev < 0) {
        if (ingress.lastSkip === Skip.FOREIGN && p.meta.l3 === L3.IPV4) passThrough(p, ingress.lastForeignDev, t);
        dp.pool.put(p);
        continue;
      }
      ingress.linkAddresses(p, dev, rec.linkType);
      p.gso = superPacket(p.meta, host.iface(dev).mtu);
      p.index = index++;
      let vcpu = 0;
      if (o.cpus > 1) {
        if (o.steering === 'rps') vcpu = p.meta.l3 === L3.IPV4 ? flowHash(p.meta, hashSeed) % o.cpus : 0;
        else {
          let v = ifaceVcpu.get(dev);
          if (v === undefined) {
            v = ifaceVcpu.size % o.cpus;
            ifaceVcpu.set(dev, v);
          }
          vcpu = v;
        }
      }
      if (!sched.push(p, vcpu, t)) {
        p.finishNs = t;
        dp.kernelDrop(p, 'backlog', `vCPU ${vcpu} backlog full (netdev_max_backlog)`, -1);
        dp.dropPacket(p, 'backlog', '');
        continue;
      }
      p.iif = dev;
      let q;
      while ((q = sched.next(t)) !== null) process(q);
      if (o.progress !== null && (++n & 0xffff) === 0) {
        const pr = cursor.progress();
        o.progress(pr.bytes, pr.total);
      }
    }
    let q;
    while ((q = sched.next(Infinity)) !== null) process(q);
    // the host's own timers keep running until the capture ends
    dp.neigh.runTimers(lastNs);
  } catch (e) {
    outputs.abort();
    throw e;
  }

  // the state dumps are taken at the end of the capture, as the recorder dumps right after the traffic
  const endNs = lastNs;
  const dump = ct.dump(endNs);
  writeFileAtomic(path.join(o.outDir, 'conntrack-L.txt'), formatConntrackList(dump, { acct: host.sysctls.conntrackAcct === 1 }));
  writeFileAtomic(path.join(o.outDir, 'conntrack-S.txt'), formatConntrackStats(ct));
  writeFileAtomic(path.join(o.outDir, 'iptables-save-c.txt'), printRuleSet(rules.ruleSet, { counters: rules }));
  outputs.commit();
  const report = buildReplayReport({
    options: o,
    host,
    rules,
    dp,
    outputs,
    counters,
    ingressSkipped: ingress.skipped,
    sched,
    conntrack: ct,
    dump,
    conntrackActive: ctActive,
    packets: index,
    spanNs: lastNs - Math.max(0, firstNs),
    warnings: [...cursor.warnings.map((w) => `${w.path}: ${w.message}`), ...host.warnings, ...ruleWarnings],
    skipNames: Skip,
  });
  writeFileAtomic(path.join(o.outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  return { report, outDir: o.outDir };
}

/**
 * Copy a captured frame into a packet buffer. HOT. This costs one short-lived view object per packet (the
 * one allocation left on the replay's hot path): JavaScript has no copy between two ArrayBuffers that
 * takes offsets, and Buffer.copy makes the same view internally.
 */
function copyFrame(src: Uint8Array, off: number, len: number, dst: Uint8Array): void {
  dst.set(src.subarray(off, off + len), HEADROOM);
}

// The kernel-agreement harness: given a kernel recording (a scenario folder of the oracle layout) and a
// replay output directory, compares what left every interface, the iptables counters, the conntrack table
// and conntrack -S with the kernel's, and says precisely where they disagree. Also runs `nfreplay replay`.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseIpv4 } from '../../src/util/ipv4.js';
import { readCapture } from './oracle-pcap.js';
import { kernelTxFromAny, kernelTxFromInterface, oursTx, compareInterface, receivedIcmpIds, type TxPacket } from './oracle-packets.js';
import { parseIptablesSave, compareCounters, parseConntrackStats, compareConntrackStats, CT_STAT_KEYS } from './oracle-counters.js';
import { parseConntrackList, compareConntrack, entryName, type CtEntry, type NatPortMapping } from './oracle-conntrack.js';
import { be16, be32 } from '../../src/util/bytes.js';
import { ipv4Str } from './oracle-fields.js';
import { newReport, type AgreementReport } from './oracle-report.js';

import { formatReport } from './oracle-report.js';
export { formatReport };
export type { AgreementReport, AgreementFailure } from './oracle-report.js';

/** What a scenario folder offers: the input to replay and where the kernel's TX comes from. */
export interface ScenarioInfo {
  dir: string;
  name: string;
  /** Capture(s) to replay: host-any.pcap, else host-multi.pcapng; empty when there is none. */
  input: string[];
  /** 'any': SLL2 direction of host-any.pcap; 'interfaces': per-interface captures with the MAC rule; 'none'. */
  kernelTx: 'any' | 'interfaces' | 'none';
  /** Per-interface kernel captures (kernelTx 'interfaces'): interface name -> file and direction rule. */
  interfaceCaptures: { iface: string; file: string; peerMac?: string; ownMac?: string }[];
  ifNames: Map<number, string>;
  localAddrs: Set<number>;
}

interface IpAddrJson {
  ifindex: number;
  ifname: string;
  address?: string;
  addr_info?: { family: string; local: string }[];
}

/** Inspect a scenario folder (rules.v4, host-snapshot/, host-any.pcap or host-multi.pcapng, meta.json, topology.json). */
export function scenarioInfo(dir: string): ScenarioInfo {
  const ipAddr = JSON.parse(fs.readFileSync(path.join(dir, 'host-snapshot', 'ip-addr.json'), 'utf8')) as IpAddrJson[];
  const ifNames = new Map<number, string>();
  const localAddrs = new Set<number>();
  const ownMac = new Map<string, string>();
  for (const l of ipAddr) {
    ifNames.set(l.ifindex, l.ifname);
    if (l.address) ownMac.set(l.ifname, l.address);
    for (const a of l.addr_info ?? []) if (a.family === 'inet') localAddrs.add(parseIpv4(a.local));
  }
  const info: ScenarioInfo = { dir, name: path.basename(dir), input: [], kernelTx: 'none', interfaceCaptures: [], ifNames, localAddrs };
  const any = path.join(dir, 'host-any.pcap');
  const multi = path.join(dir, 'host-multi.pcapng');
  if (fs.existsSync(any)) {
    info.input = [any];
    info.kernelTx = 'any';
  } else if (fs.existsSync(multi)) {
    info.input = [multi];
    info.kernelTx = 'interfaces';
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { captures: { file: string; ns: string; ifname: string; kind: string }[] };
    const peers = peerMacs(dir);
    for (const c of meta.captures) {
      if (!/host$/.test(c.ns) || !['host-uplink', 'host-bridge', 'host-bridge-port'].includes(c.kind)) continue;
      const peerMac = peers.get(c.ifname);
      info.interfaceCaptures.push({ iface: c.ifname, file: path.join(dir, c.file), ...(peerMac ? { peerMac } : { ownMac: ownMac.get(c.ifname)! }) });
    }
  }
  return info;
}

/** MAC of the far end of each host veth, from topology.json (the host snapshot cannot see into other namespaces). */
function peerMacs(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const p = path.join(dir, 'topology.json');
  if (!fs.existsSync(p)) return out;
  const topo = JSON.parse(fs.readFileSync(p, 'utf8')) as { namespaces: Record<string, { interfaces: { name: string; mac: string; peer?: { ns: string; ifname: string } }[] }> };
  for (const [ns, nd] of Object.entries(topo.namespaces)) {
    if (!/host$/.test(ns)) continue;
    for (const i of nd.interfaces) {
      if (!i.peer) continue;
      const far = topo.namespaces[i.peer.ns]?.interfaces.find((x) => x.name === i.peer!.ifname);
      if (far) out.set(i.name, far.mac);
    }
  }
  return out;
}

export interface AgreementOptions {
  /**
   * Leaves packets out of the TX comparison on both sides (e.g. a flow a local process started, which no
   * capture contains). Returns the reason when it excludes the IP packet, else null.
   */
  exclude?: (ip: Uint8Array) => string | null;
  /** Leaves conntrack entries out of the comparison on both sides. Returns the reason, else null. */
  excludeConntrack?: (e: CtEntry) => string | null;
  /** conntrack -S statistics to compare (default CT_STAT_KEYS). */
  ctStatKeys?: readonly string[];
  /** Skip whole checks, with the reason recorded in the report's notes. */
  skip?: Partial<Record<'tx' | 'counters' | 'conntrack' | 'conntrack-stats', string>>;
}

const read = (p: string): string | null => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null);

/** Compare a replay output directory with the kernel recording in `dir`. */
export function compareWithKernel(dir: string, outDir: string, opt: AgreementOptions = {}): AgreementReport {
  const info = scenarioInfo(dir);
  const r = newReport(info.name);
  const rules = read(path.join(dir, 'rules.v4')) ?? '';
  const randomSnat = /-j (MASQUERADE|SNAT)\b[^\n]*--random/.test(rules);
  const randomDnat = /-j DNAT\b[^\n]*--random/.test(rules);
  const baseNs = info.input.length ? (readCapture(info.input[0]!)[0]?.tsNs ?? 0n) : 0n;

  // conntrack first: it yields the map of random NAT ports the packet comparison needs
  let portMap: NatPortMapping[] = [];
  const kCt = read(path.join(dir, 'conntrack-L.txt'));
  if (opt.skip?.conntrack) r.notes.push(`conntrack table not compared: ${opt.skip.conntrack}`);
  else if (kCt === null) r.notes.push('conntrack table not compared: the recording has no conntrack-L.txt');
  else {
    const oCt = read(path.join(outDir, 'conntrack-L.txt'));
    if (oCt === null) r.failures.push({ check: 'files', where: 'conntrack-L.txt', message: 'missing from the replay output' });
    else {
      const slack = timeoutSlack(dir, baseNs);
      const keep = (list: CtEntry[], who: string): CtEntry[] =>
        list.filter((e) => {
          const why = opt.excludeConntrack?.(e) ?? null;
          if (why) r.notes.push(`${who}: conntrack entry ${entryName(e)} excluded: ${why}`);
          return !why;
        });
      const kList = keep(parseConntrackList(kCt, 'kernel conntrack-L.txt'), 'kernel');
      const oList = keep(parseConntrackList(oCt, 'ours conntrack-L.txt'), 'ours');
      const c = compareConntrack(kList, oList, { randomSnat, randomDnat, timeoutSlackS: slack });
      r.failures.push(...c.failures);
      portMap = c.portMap;
      r.compared.conntrackEntries = c.matched;
      r.compared.natPorts = portMap.length;
    }
  }

  if (opt.skip?.tx) r.notes.push(`TX packets not compared: ${opt.skip.tx}`);
  else compareAllTx(info, outDir, opt, portMap, baseNs, r);

  const kIpt = read(path.join(dir, 'iptables-save-c.txt'));
  if (opt.skip?.counters) r.notes.push(`counters not compared: ${opt.skip.counters}`);
  else if (kIpt !== null) {
    const oIpt = read(path.join(outDir, 'iptables-save-c.txt'));
    if (oIpt === null) r.failures.push({ check: 'files', where: 'iptables-save-c.txt', message: 'missing from the replay output' });
    else r.failures.push(...compareCounters(parseIptablesSave(kIpt, 'kernel iptables-save-c.txt'), parseIptablesSave(oIpt, 'ours iptables-save-c.txt'), r.compared));
  }

  const kAfter = read(path.join(dir, 'conntrack-S-after.txt'));
  if (opt.skip?.['conntrack-stats']) r.notes.push(`conntrack -S not compared: ${opt.skip['conntrack-stats']}`);
  else if (kAfter !== null) {
    const oS = read(path.join(outDir, 'conntrack-S.txt'));
    if (oS === null) r.failures.push({ check: 'files', where: 'conntrack-S.txt', message: 'missing from the replay output' });
    else {
      const before = parseConntrackStats(read(path.join(dir, 'conntrack-S-before.txt')) ?? '');
      r.failures.push(...compareConntrackStats(before, parseConntrackStats(kAfter), parseConntrackStats(oS), opt.ctStatKeys ?? CT_STAT_KEYS));
    }
  }
  return r;
}

/**
 * Allowed excess of our conntrack timeouts: the kernel dumped at dump-time.txt (our own recordings) or, for
 * recordings without it, at most 3 s after the last packet; plus one second of rounding.
 */
function timeoutSlack(dir: string, baseNs: bigint): number {
  const dt = read(path.join(dir, 'dump-time.txt'));
  const any = path.join(dir, 'host-any.pcap');
  if (dt === null || !fs.existsSync(any)) return 4;
  const frames = readCapture(any);
  const last = frames.length ? frames[frames.length - 1]!.tsNs : baseNs;
  const dumpNs = BigInt(Math.round(Number.parseFloat(dt) * 1e6)) * 1000n;
  return Math.max(1, Math.ceil(Number(dumpNs - last) / 1e9) + 1);
}

/** The IPv4 packets the kernel sent, per interface, from whichever capture the scenario has. */
export function kernelTxOf(info: ScenarioInfo): Map<string, TxPacket[]> {
  if (info.kernelTx === 'any') return kernelTxFromAny(info.input[0]!, info.ifNames);
  const out = new Map<string, TxPacket[]>();
  for (const c of info.interfaceCaptures) out.set(c.iface, kernelTxFromInterface(c.file, c.iface, c));
  return out;
}

function compareAllTx(info: ScenarioInfo, outDir: string, opt: AgreementOptions, portMap: NatPortMapping[], baseNs: bigint, r: AgreementReport): void {
  if (info.kernelTx === 'none') {
    r.notes.push('TX packets not compared: the recording has no host-any.pcap or host-multi.pcapng');
    return;
  }
  if (info.kernelTx === 'interfaces')
    r.notes.push(`kernel TX from per-interface captures (${info.interfaceCaptures.map((c) => c.iface).join(', ')}), direction by MAC; other interfaces were not captured and are not compared`);
  let kernel = kernelTxOf(info);
  let ours = oursTx(outDir);
  if (!fs.existsSync(path.join(outDir, 'tx'))) r.failures.push({ check: 'files', where: 'tx/', message: 'missing from the replay output' });
  if (opt.exclude) {
    const drop = (m: Map<string, TxPacket[]>, who: string): Map<string, TxPacket[]> => {
      const out = new Map<string, TxPacket[]>();
      const reasons = new Map<string, number>();
      for (const [iface, list] of m) {
        const kept = list.filter((p) => {
          const why = opt.exclude!(p.ip);
          if (why) reasons.set(`${iface}: ${why}`, (reasons.get(`${iface}: ${why}`) ?? 0) + 1);
          return !why;
        });
        out.set(iface, kept.map((p, i) => ({ ...p, index: i })));
      }
      for (const [why, n] of reasons) r.notes.push(`${who}: ${n} packet(s) excluded on ${why}`);
      return out;
    };
    kernel = drop(kernel, 'kernel');
    ours = drop(ours, 'ours');
  }
  const ctx = { localAddrs: info.localAddrs, receivedIcmp: info.kernelTx === 'any' ? receivedIcmpIds(info.input[0]!) : null, portMap, baseNs };
  const ifaces = new Set([...kernel.keys(), ...ours.keys()]);
  for (const iface of [...ifaces].sort()) {
    const k = kernel.get(iface) ?? [];
    const o = ours.get(iface);
    if (info.kernelTx === 'interfaces' && !kernel.has(iface)) continue;
    if (k.length === 0 && (!o || o.length === 0)) continue;
    r.compared.interfaces++;
    r.compared.packets += k.length;
    if (!o) {
      r.failures.push({ check: 'files', where: `tx/${iface}.pcap`, message: `missing from the replay output; the kernel sent ${k.length} IPv4 packet(s) on ${iface}`, tsNs: k[0]!.tsNs });
      continue;
    }
    const f = compareInterface(iface, k, o, ctx);
    if (f) r.failures.push(f);
  }
}

/** Result of running `nfreplay replay` on a scenario. */
export interface ReplayRun {
  status: number | null;
  stdout: string;
  stderr: string;
  command: string;
}

/** The built CLI (npm run build); the agreement suites fail with a clear message when it is absent. */
export const CLI = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'dist', 'src', 'cli', 'main.js');

/** Run `nfreplay replay --rules R --snapshot S --out OUT CAPTURE...` for a scenario folder. */
export function runReplay(info: ScenarioInfo, outDir: string, extra: readonly string[] = []): ReplayRun {
  const args = [CLI, 'replay', '--rules', path.join(info.dir, 'rules.v4'), '--snapshot', path.join(info.dir, 'host-snapshot'), '--out', outDir, ...extra, ...info.input];
  if (!fs.existsSync(CLI)) return { status: null, stdout: '', stderr: `${CLI} does not exist: run npm run build first`, command: `node ${args.join(' ')}` };
  const p = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 240_000 });
  return { status: p.status, stdout: p.stdout ?? '', stderr: (p.stderr ?? '') + (p.error ? String(p.error) : ''), command: `node ${args.join(' ')}` };
}

/**
 * Flows a local process of the host started (ORIGINAL source is a host address). No capture holds their
 * original-direction packets before the host's own NAT, so no replay can produce them: these options leave
 * their packets (as sent, i.e. the inverted REPLY tuple) and their conntrack entries out of the comparison.
 * Empty options when the kernel's table has no such flow.
 */
export function localOriginExclusions(dir: string): Pick<AgreementOptions, 'exclude' | 'excludeConntrack'> {
  const info = scenarioInfo(dir);
  const text = read(path.join(dir, 'conntrack-L.txt'));
  if (text === null) return {};
  const local = parseConntrackList(text).filter((e) => info.localAddrs.has(parseIpv4(e.orig.src)));
  if (local.length === 0) return {};
  const why = 'a flow a local process started (its packets before the host NAT are in no capture)';
  const sent = new Set(local.map((e) => `${e.l4num} ${e.reply.dst}:${e.reply.dport} > ${e.reply.src}:${e.reply.sport}`));
  // ours may hold the same flow seen from its reply packets (e.g. a loose TCP pickup): exclude that view too
  const names = new Set(local.flatMap((e) => [entryName(e), `${e.l4} ${e.reply.src}:${e.reply.sport} > ${e.reply.dst}:${e.reply.dport}`]));
  return {
    exclude: (ip) => {
      if (ip.length < 24 || be16(ip, 6) & 0x1fff) return null;
      const l4 = (ip[0]! & 15) * 4;
      const k = `${ip[9]} ${ipv4Str(be32(ip, 12))}:${be16(ip, l4)} > ${ipv4Str(be32(ip, 16))}:${be16(ip, l4 + 2)}`;
      return sent.has(k) ? why : null;
    },
    excludeConntrack: (e) => (names.has(entryName(e)) ? why : null),
  };
}

/** Replay a scenario into a fresh temporary directory and compare; `text` is the report to print on failure. */
export function replayAndCompare(dir: string, opt: AgreementOptions = {}, extraArgs: readonly string[] = []): { run: ReplayRun; report: AgreementReport | null; text: string; outDir: string } {
  const info = scenarioInfo(dir);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `nfreplay-${info.name}-`));
  const run = runReplay(info, outDir, extraArgs);
  if (run.status !== 0) return { run, report: null, outDir, text: `${run.command}\nexit status ${run.status}\n${run.stderr.slice(0, 4000)}` };
  const report = compareWithKernel(dir, outDir, opt);
  return { run, report, outDir, text: `${run.command}\n${formatReport(report)}` };
}

/** What a shared oracle scenario cannot be compared on, and why. */
export function sharedScenarioOptions(dir: string): AgreementOptions {
  const name = path.basename(dir);
  if (name === '09-hairpin-userland-proxy-off') {
    // Step 4 is a TCP client *inside or-host* (nat OUTPUT DNAT): its packets leave docker0 already NATed and
    // appear in no capture before that, so they cannot be replayed; they also move the OUTPUT/POSTROUTING/
    // INPUT counters and conntrack -S, so those two checks cannot be made for this scenario.
    const reason = 'step 4 is a local process (nat OUTPUT), whose packets no capture holds before NAT';
    return { ...localOriginExclusions(dir), skip: { counters: reason, 'conntrack-stats': reason } };
  }
  return {};
}

// `nfreplay replay`: replay captures through the host model built from a rule set and a host snapshot, and
// write what left every interface, what was dropped and why, the counters and the conntrack table.

import type { Command } from 'commander';
import { Option } from 'commander';
import { runReplay } from '../../engine/replay.js';
import type { Steering } from '../../engine/replay.js';
import { renderReplaySummary } from '../../report/replay-report.js';
import { UsageError } from '../../util/errors.js';
import { intOption, runAction } from '../run.js';

interface ReplayCliOptions {
  rules: string;
  snapshot: string;
  out: string;
  ingress: string[];
  sysctl: string[];
  ipsets?: string;
  cpus?: string;
  steering: Steering;
  serviceNs?: string;
  seed?: string;
  speed?: string;
  engine: 'compiled' | 'interpreted';
  trace?: string;
  json?: boolean;
  strict?: boolean;
  progress?: boolean;
  prescan?: boolean;
  tx?: boolean;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function parseIngress(list: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) throw new UsageError(`--ingress takes IFACE=FILE, got "${item}"`);
    m.set(item.slice(eq + 1), item.slice(0, eq));
  }
  return m;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('replay captures through the netfilter datapath of a host (rules + snapshot) and write what the kernel would do')
    .argument('<capture...>', 'capture files (pcap, pcapng, gzip); several are merged by timestamp')
    .requiredOption('-r, --rules <file>', 'iptables-save output of the host (iptables-save -c is fine)')
    .requiredOption('-s, --snapshot <dir>', 'host snapshot directory (see `nfreplay snapshot`)')
    .option('-o, --out <dir>', 'output directory', 'nfreplay-out')
    .option('--ingress <iface=file>', 'host interface a single-interface capture was taken on (repeatable)', collect, [])
    .option('--ipsets <file>', 'contents of the ipsets the rules name with -m set (`ipset save` output)')
    .option('--sysctl <name=value>', 'override a sysctl of the snapshot, e.g. net.netfilter.nf_conntrack_acct=1 (repeatable)', collect, [])
    .option('--cpus <n>', 'modeled CPUs (vCPUs); races need 2 or more', '1')
    .addOption(new Option('--steering <how>', 'how packets are spread over vCPUs').choices(['rps', 'iface']).default('rps'))
    .option('--service-ns <ns>', 'virtual service time of one packet on a vCPU, in ns', '2000')
    .option('--seed <n>', 'seed of every random choice (NAT ports, statistic, ...)', '1')
    .option('--speed <x>', 'capture time is divided by this (2 = twice as fast)', '1')
    .addOption(new Option('--engine <kind>', 'rule evaluator').choices(['compiled', 'interpreted']).default('compiled'))
    .option('--trace <n>', 'print packet N (0-based input index) on its way through hooks and rules')
    .option('--json', 'print report.json on stdout instead of the summary')
    .option('--strict', 'a truncated final capture record is an error, not a warning')
    .option('--no-progress', 'no progress line on stderr')
    .option('--no-tx', 'do not write tx/<iface>.pcap (frames are still counted in the report)')
    .option('--no-prescan', 'skip the first pass (neighbour state, the host\'s own sockets and the kernel\'s random NAT choices taken from the capture)')
    .addHelpText(
      'after',
      `
Outputs (in --out): tx/<iface>.pcap (frames each interface sent), drops.pcapng (dropped packets, each
with a comment naming table:chain:rule or the kernel's reason), iptables-save-c.txt (counters),
conntrack-L.txt and conntrack-S.txt (conntrack tool formats), report.json.

Examples:
  nfreplay replay --rules captures/docker-host/rules.v4 --snapshot captures/docker-host/host-snapshot \\
      --out out captures/docker-host/host-any.pcap
  nfreplay replay -r rules.v4 -s snap --ingress eth0=uplink.pcap --ingress vethc1=c1.pcap uplink.pcap c1.pcap
  nfreplay replay -r rules.v4 -s snap --cpus 2 --trace 7 any.pcap`,
    )
    .action((captures: string[], opts: ReplayCliOptions) =>
      runAction(opts, () => {
        const speed = Number(opts.speed ?? '1');
        if (!(speed > 0) || !Number.isFinite(speed)) throw new UsageError(`option --speed must be a positive number, got "${opts.speed}"`);
        const showProgress = opts.progress !== false && process.stderr.isTTY === true && opts.json !== true;
        const traceLines: string[] = [];
        const result = runReplay({
          captures,
          rulesPath: opts.rules,
          snapshotDir: opts.snapshot,
          outDir: opts.out,
          cpus: intOption('--cpus', opts.cpus, 1, 1, 4096),
          steering: opts.steering,
          serviceNs: intOption('--service-ns', opts.serviceNs, 2000, 1, 1e12),
          seed: intOption('--seed', opts.seed, 1, 0, 0xffffffff),
          speed,
          ingress: parseIngress(opts.ingress),
          sysctls: opts.sysctl,
          ipsetsPath: opts.ipsets ?? null,
          strict: opts.strict === true,
          engine: opts.engine,
          prescan: opts.prescan !== false,
          writeTx: opts.tx !== false,
          traceIndex: opts.trace === undefined ? -1 : intOption('--trace', opts.trace, -1, 0),
          traceOut: (l) => traceLines.push(l),
          progress: showProgress
            ? (bytes, total) => process.stderr.write(`\rreplaying: ${total > 0 ? ((100 * bytes) / total).toFixed(1) + '%' : `${(bytes / 1e6).toFixed(0)} MB`}   `)
            : null,
        });
        if (showProgress) process.stderr.write('\r\x1b[K');
        if (opts.json) process.stdout.write(JSON.stringify(result.report, null, 2) + '\n');
        else {
          if (traceLines.length > 0) process.stdout.write(traceLines.join('\n') + '\n\n');
          else if (opts.trace !== undefined) process.stdout.write(`packet ${opts.trace} was not replayed (fewer input packets)\n\n`);
          process.stdout.write(renderReplaySummary(result.report, result.outDir));
        }
      }),
    );
}

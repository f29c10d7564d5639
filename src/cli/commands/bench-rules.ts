// `nfreplay bench rules`: packets per second through generated Docker and kube-proxy rule sets, compiled and
// interpreted side by side, with the number of rules the kernel's linear walk visits per packet.

import type { Command } from 'commander';
import { intOption, runAction } from '../run.js';
import { UsageError } from '../../util/errors.js';
import { loadRuleSet as parseRules } from '../../netfilter/rules/parse.js';
import { RULE_BENCH_DEFAULTS, machineNote, renderRuleBench, runRuleBench } from '../../netfilter/rules/engine-bench.js';
import type { RuleBenchOptions } from '../../netfilter/rules/engine-bench.js';

interface BenchRulesCliOptions {
  set?: string;
  services?: string;
  endpoints?: string;
  packets?: string;
  duration?: string;
  warmup?: string;
  rounds?: string;
  json?: boolean;
}

const HELP_AFTER = `
Workloads: a Docker host (classic layout, ${RULE_BENCH_DEFAULTS.dockerBridges} bridges, ${RULE_BENCH_DEFAULTS.dockerPorts} published ports) and kube-proxy nodes with
${RULE_BENCH_DEFAULTS.services.join(', ')} service ports of ${RULE_BENCH_DEFAULTS.endpoints} endpoints (NodePorts on), from the same generators as
\`nfreplay rules gen\`. "new" packets walk raw/mangle/nat PREROUTING, mangle/filter FORWARD and mangle/nat
POSTROUTING of a forwarded packet; "established" ones skip the nat tables. Both evaluators run on the
same packets, after an untimed warm-up, in interleaved rounds on one core; the median round is
reported. "visited" is the number of rule entries the kernel's linear walk (ipt_do_table) evaluates
per packet, p50/p99. The machine is printed on stderr.

Examples:
  $ nfreplay bench rules
  $ nfreplay bench rules --set kube --services 10000
  $ nfreplay bench rules --set docker --json

With --json the output is a list of records
  {set, services, packets: "new"|"established", engine: "compiled"|"interpreted", pps, rulesVisited: {p50, p99}}.`;

export function registerBenchRules(bench: Command): void {
  bench
    .command('rules')
    .description('packets/s of generated Docker and kube-proxy rule sets, compiled vs interpreted')
    .option('--set <set>', 'docker, kube or all', 'all')
    .option('--services <N>', 'one kube-proxy size instead of the default list')
    .option('--endpoints <E>', 'endpoints per kube service port', String(RULE_BENCH_DEFAULTS.endpoints))
    .option('--packets <N>', 'distinct packets generated per workload', String(RULE_BENCH_DEFAULTS.packets))
    .option('--warmup <ms>', 'untimed warm-up per engine and packet kind', String(RULE_BENCH_DEFAULTS.warmupMs))
    .option('--duration <ms>', 'time per measurement', String(RULE_BENCH_DEFAULTS.durationMs))
    .option('--rounds <R>', 'interleaved rounds per engine (median reported)', String(RULE_BENCH_DEFAULTS.rounds))
    .option('--json', 'print the records as JSON')
    .addHelpText('after', HELP_AFTER)
    .action(async (opts: BenchRulesCliOptions) => {
      await runAction({ json: opts.json === true }, () => {
        const set = opts.set ?? 'all';
        if (set !== 'docker' && set !== 'kube' && set !== 'all') throw new UsageError(`option --set must be docker, kube or all, got "${set}"`);
        const services = opts.services === undefined ? RULE_BENCH_DEFAULTS.services : [intOption('--services', opts.services, 100, 1, 100000)];
        const o: RuleBenchOptions = {
          ...RULE_BENCH_DEFAULTS,
          sets: set === 'all' ? ['docker', 'kube'] : [set],
          services,
          endpoints: intOption('--endpoints', opts.endpoints, RULE_BENCH_DEFAULTS.endpoints, 0, 100),
          packets: intOption('--packets', opts.packets, RULE_BENCH_DEFAULTS.packets, 64, 1 << 20),
          warmupMs: intOption('--warmup', opts.warmup, RULE_BENCH_DEFAULTS.warmupMs, 0, 600000),
          durationMs: intOption('--duration', opts.duration, RULE_BENCH_DEFAULTS.durationMs, 10, 60000),
          rounds: intOption('--rounds', opts.rounds, RULE_BENCH_DEFAULTS.rounds, 1, 100),
          parse: (text) => parseRules(text),
          onProgress: (line) => process.stderr.write(line + '\n'),
        };
        process.stderr.write(`machine: ${machineNote()}\n`);
        const records = runRuleBench(o);
        process.stdout.write(opts.json === true ? JSON.stringify(records, null, 2) + '\n' : renderRuleBench(records));
        return 0;
      });
    });
}

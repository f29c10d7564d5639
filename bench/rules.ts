// Benchmark: packets per second of the rules engine, compiled vs interpreted, side by side on one core, for
// a Docker host and kube-proxy with 100 / 1,000 / 10,000 / 40,000 services (NEW and established packets),
// plus the kernel linear walk's rules visited per packet. Shares its code with `nfreplay bench rules`.
// Run: npx tsc -p tsconfig.json && node dist/bench/rules.js [--json] [kube-sizes...]

import { loadRuleSet as parseRules } from '../src/netfilter/rules/parse.js';
import { RULE_BENCH_DEFAULTS, machineNote, renderRuleBench, runRuleBench } from '../src/netfilter/rules/engine-bench.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);

process.stderr.write(`machine: ${machineNote()}\n`);
const records = runRuleBench({
  ...RULE_BENCH_DEFAULTS,
  services: sizes.length > 0 ? sizes : RULE_BENCH_DEFAULTS.services,
  parse: (text) => parseRules(text),
  onProgress: (line) => process.stderr.write(line + '\n'),
});
process.stdout.write(json ? JSON.stringify(records, null, 2) + '\n' : renderRuleBench(records));

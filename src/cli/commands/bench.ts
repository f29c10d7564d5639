// `nfreplay bench ...`: groups the benchmark subcommands (one module each).
import type { Command } from 'commander';
import { registerBenchRules } from './bench-rules.js';

export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    .description('measure packets per second per core (rule sets, ...)');
  registerBenchRules(bench);
}

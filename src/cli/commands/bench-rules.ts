// `nfreplay bench rules`: placeholder registration until the command lands.
import type { Command } from 'commander';

export function registerBenchRules(bench: Command): void {
  bench
    .command('rules')
    .description('(not yet available)')
    .action(() => {
      process.stderr.write('nfreplay bench rules: not yet available\n');
      process.exitCode = 2;
    });
}

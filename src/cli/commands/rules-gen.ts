// `nfreplay rules gen`: placeholder registration until the generators land.
import type { Command } from 'commander';

export function registerRulesGen(rules: Command): void {
  rules
    .command('gen')
    .description('(not yet available)')
    .action(() => {
      process.stderr.write('nfreplay rules gen: not yet available\n');
      process.exitCode = 2;
    });
}

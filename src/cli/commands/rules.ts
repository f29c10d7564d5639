// `nfreplay rules`: placeholder registration until the command lands.
import type { Command } from 'commander';

export function registerRules(program: Command): void {
  program
    .command('rules')
    .description('(not yet available)')
    .action(() => {
      process.stderr.write('nfreplay rules: not yet available\n');
      process.exitCode = 2;
    });
}

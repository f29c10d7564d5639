// `nfreplay snapshot`: placeholder registration until the command lands.
import type { Command } from 'commander';

export function registerSnapshot(program: Command): void {
  program
    .command('snapshot')
    .description('(not yet available)')
    .action(() => {
      process.stderr.write('nfreplay snapshot: not yet available\n');
      process.exitCode = 2;
    });
}

// `nfreplay inspect`: placeholder registration until the command lands.
import type { Command } from 'commander';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('(not yet available)')
    .action(() => {
      process.stderr.write('nfreplay inspect: not yet available\n');
      process.exitCode = 2;
    });
}

// `nfreplay replay`: placeholder registration until the command lands.
import type { Command } from 'commander';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('(not yet available)')
    .action(() => {
      process.stderr.write('nfreplay replay: not yet available\n');
      process.exitCode = 2;
    });
}

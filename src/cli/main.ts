#!/usr/bin/env node
// nfreplay's command-line entry: builds the commander program from one module per command. The CLI is the
// only owner of stdout, stderr and the exit code.

import { Command } from 'commander';
import { registerInspect } from './commands/inspect.js';
import { registerRules } from './commands/rules.js';
import { registerBench } from './commands/bench.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerReplay } from './commands/replay.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('nfreplay')
    .description(
      'Replay packet captures offline through a model of a Linux container host\'s netfilter datapath\n' +
        '(iptables tables and chains, conntrack, NAT, TCPMSS) and report what the kernel did to every packet.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false });
  registerReplay(program);
  registerInspect(program);
  registerRules(program);
  registerSnapshot(program);
  registerBench(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    // Commands handle their own failures (cli/run.ts); this is the last resort for programming errors.
    process.stderr.write(`nfreplay: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  });

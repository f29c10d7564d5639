// `nfreplay rules ...`: groups the rule-set subcommands.
import type { Command } from 'commander';
import { registerRulesGen } from './rules-gen.js';

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('check, print and generate iptables-save rule sets');
  registerRulesGen(rules);
}

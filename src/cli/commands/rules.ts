// `nfreplay rules ...`: groups the rule-set subcommands — `check` (load a rule set, list every issue),
// `print` (canonical iptables-save text) and `gen` (rules-gen.ts).
import * as fs from 'node:fs/promises';
import type { Command } from 'commander';
import { registerRulesGen } from './rules-gen.js';
import { ExitCode, runAction } from '../run.js';
import { UsageError } from '../../util/errors.js';
import { parseRuleSet } from '../../netfilter/rules/parse.js';
import type { ParseResult } from '../../netfilter/rules/parse.js';
import { printRuleSet } from '../../netfilter/rules/print.js';
import { parseIpsetSave } from '../../netfilter/rules/ipset-parse.js';
import type { RuleIssue } from '../../netfilter/rules/issues.js';
import { Family } from '../../netfilter/rules/ast.js';

interface LoadOpts {
  ipsets?: string;
  family?: string;
}

async function readText(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  return fs.readFile(file, 'utf8');
}

async function load(file: string, opts: LoadOpts): Promise<ParseResult> {
  let family: 'auto' | 4 | 6 = 'auto';
  if (opts.family !== undefined) {
    if (opts.family === '4' || opts.family === 'ipv4') family = Family.IPV4;
    else if (opts.family === '6' || opts.family === 'ipv6') family = Family.IPV6;
    else if (opts.family !== 'auto') throw new UsageError(`option --family must be 4, 6 or auto, got "${opts.family}"`);
  }
  const ipsets = opts.ipsets === undefined ? null : parseIpsetSave(await fs.readFile(opts.ipsets, 'utf8'), opts.ipsets);
  const text = await readText(file);
  return parseRuleSet(text, { path: file === '-' ? '<stdin>' : file, family, ipsets });
}

function issueText(file: string, i: RuleIssue): string {
  const where = `${file}:${i.line ?? 0}:${i.column ?? 0}`;
  return `${where}: ${i.code}: ${i.message}\n${i.text === '' ? '' : `    ${i.text}\n`}`;
}

function summary(r: ParseResult): { tables: number; chains: number; rules: number } {
  return {
    tables: r.ruleset.tables.length,
    chains: r.ruleset.tables.reduce((n, t) => n + t.chains.length, 0),
    rules: r.ruleset.rules.length,
  };
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('check, print and generate iptables-save rule sets');

  rules
    .command('check')
    .description('load an iptables-save / iptables-restore file and report every problem')
    .argument('<file>', 'rule set (iptables-save or ip6tables-save output; "-" for stdin)')
    .option('--json', 'print {ok, family, tables, chains, rules, issues:[{line, column, code, message, text}]}')
    .option('--ipsets <file>', 'contents of the ipsets `-m set` names (`ipset save` output)')
    .option('--family <4|6|auto>', 'address family of the file (default: from its header and addresses)')
    .addHelpText(
      'after',
      '\nExit status: 0 when the rule set loads, 1 when it has issues (each with line:column, code, message and\n' +
        'the rule text), 2 on a usage error.\n\nExamples:\n' +
        '  nfreplay rules check rules.v4\n' +
        '  iptables-save -c | nfreplay rules check - --json\n' +
        '  nfreplay rules check kube.rules --ipsets ipsets.txt\n',
    )
    .action((file: string, opts: LoadOpts & { json?: boolean }) =>
      runAction(opts, async () => {
        const r = await load(file, opts);
        const s = summary(r);
        if (opts.json === true) {
          const out = { ok: r.issues.length === 0, family: r.ruleset.family === Family.IPV6 ? 'ipv6' : 'ipv4', ...s, issues: r.issues.map((i) => i.toJSON()) };
          process.stdout.write(JSON.stringify(out) + '\n');
        } else if (r.issues.length === 0) {
          process.stdout.write(`${file}: OK (${s.tables} tables, ${s.chains} chains, ${s.rules} rules)\n`);
        } else {
          for (const i of r.issues) process.stdout.write(issueText(file, i));
          process.stdout.write(`${file}: ${r.issues.length} issue${r.issues.length === 1 ? '' : 's'}\n`);
        }
        return r.issues.length === 0 ? ExitCode.OK : ExitCode.INPUT;
      }),
    );

  rules
    .command('print')
    .description('print a rule set as canonical iptables-save text (what iptables-save would print after loading it)')
    .argument('<file>', 'rule set (iptables-save or ip6tables-save output; "-" for stdin)')
    .option('--counters', 'print [packets:bytes] before every rule, as iptables-save -c')
    .option('--no-counters', 'never print [packets:bytes] before rules')
    .option('--no-comments', 'leave out comment and blank lines')
    .option('--ipsets <file>', 'contents of the ipsets `-m set` names (`ipset save` output)')
    .option('--family <4|6|auto>', 'address family of the file (default: from its header and addresses)')
    .addHelpText(
      'after',
      '\nRules keep their [packets:bytes] prefix when the file had one. A file with issues prints nothing on\n' +
        'stdout; its issues go to stderr and the exit status is 1.\n\nExamples:\n' +
        '  nfreplay rules print rules.v4\n' +
        '  nfreplay rules print --counters --no-comments saved.txt > canonical.txt\n',
    )
    .action((file: string, opts: LoadOpts & { counters?: boolean; comments?: boolean }) =>
      runAction({}, async () => {
        const r = await load(file, opts);
        if (r.issues.length > 0) {
          for (const i of r.issues) process.stderr.write(issueText(file, i));
          process.stderr.write(`${file}: ${r.issues.length} issue${r.issues.length === 1 ? '' : 's'}; nothing printed\n`);
          return ExitCode.INPUT;
        }
        const counters = opts.counters === undefined ? 'auto' : opts.counters;
        process.stdout.write(printRuleSet(r.ruleset, { counters, comments: opts.comments !== false }));
        return ExitCode.OK;
      }),
    );

  registerRulesGen(rules);
}

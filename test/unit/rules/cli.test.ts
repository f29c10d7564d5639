// `nfreplay rules check` and `rules print`: output, JSON shape and exit codes, run in-process through the
// commander program with stdout/stderr captured.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { registerRules } from '../../../src/cli/commands/rules.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfreplay-rules-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = 0;
  try {
    const program = new Command().exitOverride();
    registerRules(program);
    await program.parseAsync(['node', 'nfreplay', 'rules', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}

const GOOD = '*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT -p tcp --dport 22 -j X\n-A X -j ACCEPT\nCOMMIT\n';
const BAD = '*filter\n-A INPUT -p tcp --dport 99999\n-A INPUT -j NOPE\nCOMMIT\n';

describe('nfreplay rules check', () => {
  beforeEach(() => {
    process.exitCode = 0;
  });
  it('says OK with counts and exits 0', async () => {
    const r = await run(['check', file('good.rules', GOOD)]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/good\.rules: OK \(1 tables, 4 chains, 2 rules\)\n$/);
  });
  it('lists every issue with line:column, code, message and rule text; exits 1', async () => {
    const p = file('bad.rules', BAD);
    const r = await run(['check', p]);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      `${p}:2:17: ERR_RULE_BAD_VALUE: tcp: invalid port/service \`99999' specified\n    -A INPUT -p tcp --dport 99999\n` +
        `${p}:3:10: ERR_RULE_UNKNOWN_CHAIN: -j NOPE: no chain or target named "NOPE" (chains must be declared before the rules that use them)\n    -A INPUT -j NOPE\n` +
        `${p}: 2 issues\n`,
    );
  });
  it('--json prints {ok, tables, chains, rules, issues}', async () => {
    const r = await run(['check', file('bad2.rules', BAD), '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { ok: boolean; tables: number; chains: number; rules: number; issues: Array<Record<string, unknown>> };
    expect([j.ok, j.tables, j.chains, j.rules]).toEqual([false, 1, 3, 0]);
    expect(j.issues[0]).toEqual({ line: 2, column: 17, code: 'ERR_RULE_BAD_VALUE', message: "tcp: invalid port/service `99999' specified", text: '-A INPUT -p tcp --dport 99999' });
  });
  it('reports a missing file as an input error', async () => {
    const r = await run(['check', path.join(dir, 'nope.rules'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('ENOENT');
  });
  it('reads -m set contents from --ipsets', async () => {
    const rules = file('set.rules', '*filter\n-A INPUT -m set --match-set blocked src -j DROP\nCOMMIT\n');
    expect((await run(['check', rules])).code).toBe(1);
    const sets = file('sets.txt', 'create blocked hash:ip family inet\nadd blocked 192.0.2.1\n');
    expect((await run(['check', rules, '--ipsets', sets])).code).toBe(0);
  });
});

describe('nfreplay rules print', () => {
  it('prints canonical text', async () => {
    const r = await run(['print', file('p.rules', '*filter\n-A INPUT -p tcp --syn -s 10.1.2.3/8 -j ACCEPT\nCOMMIT\n')]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('*filter\n-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT\nCOMMIT\n');
  });
  it('--counters adds [0:0] prefixes; --no-comments drops comments', async () => {
    const r = await run(['print', file('c.rules', '# hi\n*filter\n-A INPUT -j ACCEPT\nCOMMIT\n'), '--counters', '--no-comments']);
    expect(r.out).toBe('*filter\n[0:0] -A INPUT -j ACCEPT\nCOMMIT\n');
  });
  it('prints nothing on stdout for a bad file, issues on stderr, exit 1', async () => {
    const r = await run(['print', file('bad3.rules', BAD)]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('ERR_RULE_UNKNOWN_CHAIN');
  });
});

// netfilter's own rule vectors (iptables extensions/*.t, format in corpus MANIFEST section 2a): every line of
// an IPv4-relevant file (libipt_*, libxt_*, iptables.t) whose modules nfreplay supports must load and print as
// its SAVED form, or be rejected when it should FAIL. Lines are judged as the legacy (x_tables) backend does.
// Lines using an unsupported module are counted and listed, never silently passed.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { CORPUS_DIR, describeShared } from '../helpers/shared.js';
import { parseRuleSet } from '../../src/netfilter/rules/parse.js';
import { ruleBodyText } from '../../src/netfilter/rules/print.js';
import { IssueCode } from '../../src/netfilter/rules/issues.js';
import { Family } from '../../src/netfilter/rules/ast.js';
import { ModuleRegistry } from '../../src/netfilter/rules/module.js';
import { BUILTIN_MATCHES, BUILTIN_TARGETS } from '../../src/netfilter/rules/builtin.js';
import { nfacctMatchWith } from '../../src/netfilter/rules/match/xt_nfacct.js';

interface Vector {
  file: string;
  line: number;
  table: string;
  chain: string;
  rule: string;
  saved: string;
  result: 'OK' | 'FAIL' | 'NOMATCH';
  /** The nfacct objects the file's `@nfacct add` lines made before this line (null: the file makes none). */
  nfacct: string | null;
}

const INVERSE: Record<string, 'OK' | 'FAIL' | 'NOMATCH'> = { OK: 'FAIL', FAIL: 'OK', NOMATCH: 'OK' };

/** Read a .t file into one vector per (line, chain), with the legacy backend's expected result. */
function readVectors(file: string): Vector[] {
  const out: Vector[] = [];
  let chains = ['INPUT'];
  let table = 'filter';
  let nfacct: Set<string> | null = null;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((raw, i) => {
    const l = raw.trimEnd();
    // `@` lines are shell commands of the test harness; `@nfacct add|del NAME` makes the objects -m nfacct needs
    const acct = /^@nfacct (add|del) (\S+)$/.exec(l);
    if (acct !== null) {
      nfacct ??= new Set();
      if (acct[1] === 'add') nfacct.add(acct[2]!);
      else nfacct.delete(acct[2]!);
    }
    if (l === '' || l.startsWith('#') || l.startsWith('@') || l.startsWith('%')) return;
    if (l.startsWith(':')) {
      chains = l.slice(1).split(',');
      return;
    }
    if (l.startsWith('*')) {
      table = l.slice(1);
      return;
    }
    const f = l.split(';');
    const [rule, saved, res, variant, alt] = [f[0]!, f[1] ?? '', f[2] ?? '', f[3], f[4]];
    let result = res as Vector['result'];
    if (variant === 'NFT') result = (alt as Vector['result'] | undefined) ?? INVERSE[res]!;
    for (const chain of chains) {
      out.push({ file: path.basename(file), line: i + 1, table, chain, rule, saved: saved === '=' ? rule : saved, result, nfacct: nfacct === null ? null : [...nfacct].sort().join(',') });
    }
  });
  return out;
}

type Outcome = { kind: 'unsupported'; module: string } | { kind: 'fail'; message: string } | { kind: 'ok'; printed: string };

const registries = new Map<string, ModuleRegistry>();

/** The built-in modules with -m nfacct knowing exactly the objects `names` (comma-separated). */
function registryWithNfacct(names: string): ModuleRegistry {
  let r = registries.get(names);
  if (r === undefined) {
    r = new ModuleRegistry();
    const objects = new Set(names.split(',').filter((n) => n !== ''));
    for (const m of BUILTIN_MATCHES) r.addMatch(m.name === 'nfacct' ? nfacctMatchWith(objects) : m);
    for (const t of BUILTIN_TARGETS) r.addTarget(t);
    registries.set(names, r);
  }
  return r;
}

function run(v: Vector): Outcome {
  const text = `*${v.table}\n-A ${v.chain} ${v.rule}\nCOMMIT\n`;
  const r = parseRuleSet(text, { family: Family.IPV4, ...(v.nfacct === null ? {} : { registry: registryWithNfacct(v.nfacct) }) });
  const uns = r.issues.find((i) => i.code === IssueCode.UNSUPPORTED_MATCH || i.code === IssueCode.UNSUPPORTED_TARGET);
  if (uns !== undefined) return { kind: 'unsupported', module: /"([^"]+)"/.exec(uns.message)?.[1] ?? uns.message };
  if (r.issues.length > 0) return { kind: 'fail', message: r.issues.map((i) => `${i.code}: ${i.message}`).join('; ') };
  const rule = r.ruleset.rules[0]!;
  return { kind: 'ok', printed: ruleBodyText(rule, Family.IPV4).slice(1) };
}

describeShared('rules: netfilter extension test vectors (.t)', () => {
  const dir = path.join(CORPUS_DIR, 'iptables', 'extensions');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.t') && (f.startsWith('libipt_') || f.startsWith('libxt_') || f === 'iptables.t'))
    .sort();
  const vectors = files.flatMap((f) => readVectors(path.join(dir, f)));
  const unsupported = new Map<string, number>();
  const counts = { okPass: 0, okTotal: 0, failPass: 0, failTotal: 0, nomatchPass: 0, nomatchTotal: 0, skipped: 0 };
  const distinct = { ok: new Set<string>(), fail: new Set<string>(), unsupported: new Set<string>() };

  it('reads the IPv4-relevant vector files', () => {
    expect(files.length).toBeGreaterThan(90);
    expect(vectors.length).toBeGreaterThan(1000);
  });

  for (const v of vectors) {
    it(`${v.file}:${v.line} ${v.table}/${v.chain} ${v.rule} → ${v.result}`, () => {
      const o = run(v);
      if (o.kind === 'unsupported') {
        unsupported.set(o.module, (unsupported.get(o.module) ?? 0) + 1);
        counts.skipped++;
        distinct.unsupported.add(`${v.file}:${v.line}`);
        return;
      }
      if (v.result === 'OK') {
        counts.okTotal++;
        expect(o.kind === 'ok' ? o.printed : `rejected: ${o.message}`).toBe(v.saved);
        counts.okPass++;
        distinct.ok.add(`${v.file}:${v.line}`);
      } else if (v.result === 'FAIL') {
        counts.failTotal++;
        expect(o.kind === 'ok' ? `accepted as: ${o.printed}` : 'rejected').toBe('rejected');
        counts.failPass++;
        distinct.fail.add(`${v.file}:${v.line}`);
      } else {
        counts.nomatchTotal++;
        expect(o.kind).toBe('ok');
        if (o.kind === 'ok') expect(o.printed).not.toBe(v.rule);
        counts.nomatchPass++;
      }
    });
  }

  it('reports the supported and unsupported vectors', () => {
    const list = [...unsupported.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([m, n]) => `${m}(${n})`);
    process.stderr.write(
      `\n.t vectors (line x chain): OK ${counts.okPass}/${counts.okTotal}, FAIL ${counts.failPass}/${counts.failTotal}, NOMATCH ${counts.nomatchPass}/${counts.nomatchTotal}; ` +
        `${counts.skipped} use unsupported modules: ${list.join(' ')}\n` +
        `.t distinct lines: ${distinct.ok.size} OK and ${distinct.fail.size} FAIL lines pass; ${distinct.unsupported.size} lines use unsupported modules\n`,
    );
    expect(counts.okPass).toBe(counts.okTotal);
    expect(counts.failPass).toBe(counts.failTotal);
    expect(counts.okTotal).toBeGreaterThan(500);
  });
});

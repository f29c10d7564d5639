// Canonical rule text against iptables itself: fixtures/canonical.tsv holds what iptables 1.8.9 (legacy)
// saved — or the error it gave — for each rule of fixtures/canonical-input.txt, recorded by
// fixtures/make-canonical.sh in a private network namespace. Accepted rules must print identically; rejected
// ones must be rejected with an issue.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRuleSet } from '../../../src/netfilter/rules/parse.js';
import { ruleBodyText } from '../../../src/netfilter/rules/print.js';
import { Family } from '../../../src/netfilter/rules/ast.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const rows = fs
  .readFileSync(path.join(here, 'fixtures', 'canonical.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => {
    const [table, chain, rule, saved] = l.split('\t') as [string, string, string, string];
    return { table, chain, rule, saved };
  });

/**
 * Rules where iptables 1.8.9 differs from the netfilter test vectors of later iptables (extensions/*.t and
 * iptables.t), which nfreplay follows: `--opt=value` base options and joined short options are accepted there,
 * and `! -i +` is kept.
 */
const NEWER_UPSTREAM: Record<string, string> = {
  '! -i + -j ACCEPT': '! -i + -j ACCEPT',
  '--source=1.2.3.4 --protocol=udp': '-s 1.2.3.4/32 -p udp',
  '-s1.2.3.4 -ptcp': '-s 1.2.3.4/32 -p tcp',
};

function load(table: string, chain: string, rule: string): { issues: string[]; printed: string } {
  const r = parseRuleSet(`*${table}\n-A ${chain} ${rule}\nCOMMIT\n`, { family: Family.IPV4 });
  const printed = r.ruleset.rules[0] === undefined ? '' : ruleBodyText(r.ruleset.rules[0], Family.IPV4).trimStart();
  return { issues: r.issues.map((i) => `${i.code}: ${i.message}`), printed };
}

describe('canonical text agrees with iptables 1.8.9', () => {
  it('has the recorded fixture', () => {
    expect(rows.length).toBeGreaterThan(200);
  });
  for (const row of rows) {
    const newer = NEWER_UPSTREAM[row.rule];
    if (newer !== undefined) {
      it(`${row.table}/${row.chain} ${row.rule} (newer upstream form)`, () => {
        const r = load(row.table, row.chain, row.rule);
        expect(r.issues).toEqual([]);
        expect(r.printed).toBe(newer);
      });
    } else if (row.saved.startsWith('ERR ')) {
      it(`${row.table}/${row.chain} ${row.rule} is rejected (${row.saved.slice(4)})`, () => {
        expect(load(row.table, row.chain, row.rule).issues.length).toBeGreaterThan(0);
      });
    } else {
      it(`${row.table}/${row.chain} ${row.rule} → ${row.saved}`, () => {
        const r = load(row.table, row.chain, row.rule);
        expect(r.issues).toEqual([]);
        expect(r.printed).toBe(row.saved);
      });
    }
  }
});

// Parse then print reproduces, byte for byte, every iptables-save file of the shared corpus: Docker's
// iptabler goldens (IPv4 and IPv6), netfilter's iptables-save/restore dumps and the kernel oracle's
// `iptables-save -c` recordings and rule sets.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { CORPUS_DIR, ORACLE_DIR, describeShared } from '../helpers/shared.js';
import { parseRuleSet } from '../../src/netfilter/rules/parse.js';
import { printRuleSet } from '../../src/netfilter/rules/print.js';
import { Family } from '../../src/netfilter/rules/ast.js';

function walk(dir: string, pick: (p: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, pick));
    else if (pick(p)) out.push(p);
  }
  return out.sort();
}

function roundTrip(file: string): { issues: string[]; printed: string; text: string; family: number; rules: number } {
  const text = fs.readFileSync(file, 'utf8');
  const r = parseRuleSet(text, { path: file });
  return {
    issues: r.issues.map((i) => `${i.line}:${i.column} ${i.code} ${i.message} | ${i.text}`),
    printed: printRuleSet(r.ruleset),
    text,
    family: r.ruleset.family,
    rules: r.ruleset.rules.length,
  };
}

describeShared('rules round trip: moby iptabler goldens', () => {
  const dir = path.join(CORPUS_DIR, 'moby-iptabler', 'TestIptabler');
  const files = walk(dir, (p) => p.endsWith('.golden'));
  it('finds all 284 goldens', () => {
    expect(files.length).toBe(284);
  });
  for (const f of files) {
    it(path.basename(f), () => {
      const r = roundTrip(f);
      expect(r.issues).toEqual([]);
      if (r.text.includes('::') || !f.endsWith('__ip6tables.golden')) expect(r.family).toBe(f.endsWith('__ip6tables.golden') ? Family.IPV6 : Family.IPV4);
      expect(r.printed).toBe(r.text);
    });
  }
});

describeShared('rules round trip: iptables dumps', () => {
  const dir = path.join(CORPUS_DIR, 'iptables', 'dumps');
  // fedora27-iptables.xml is the iptables-xml rendering of a dump, not iptables-save text
  const files = walk(dir, (p) => !p.endsWith('.xml'));
  it('finds the 8 text dumps', () => {
    expect(files.length).toBe(8);
  });
  for (const f of files) {
    it(path.relative(dir, f), () => {
      const r = roundTrip(f);
      expect(r.issues).toEqual([]);
      expect(r.printed).toBe(r.text);
    });
  }
});

describeShared('rules round trip: kernel oracle recordings', () => {
  const files = [
    ...walk(path.join(ORACLE_DIR, 'captures'), (p) => p.endsWith('iptables-save-c.txt') || p.endsWith('rules.v4')),
    ...walk(path.join(ORACLE_DIR, 'rules'), (p) => p.endsWith('.rules')),
  ];
  it('finds the recordings', () => {
    expect(files.length).toBeGreaterThanOrEqual(17 + 5);
  });
  for (const f of files) {
    it(path.relative(ORACLE_DIR, f), () => {
      const r = roundTrip(f);
      expect(r.issues).toEqual([]);
      expect(r.rules).toBeGreaterThan(0);
      expect(r.printed).toBe(r.text);
    });
  }
});

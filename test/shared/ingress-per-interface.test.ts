// Replaying from per-interface classic pcaps (no direction in the file: directions inferred by the bridge's
// MAC rules, interfaces named with --ingress) must give what the kernel did, exactly as host-any.pcap does, for
// every shared scenario that has them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeShared, ORACLE_DIR, PROJECT_ROOT } from '../helpers/shared.js';
import { compareWithKernel, formatReport, sharedScenarioOptions } from '../helpers/oracle.js';

const CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js');

describeShared('replay from per-interface captures', () => {
  const caps = path.join(ORACLE_DIR, 'captures');
  const scenarios = fs.existsSync(caps) ? fs.readdirSync(caps).filter((d) => fs.existsSync(path.join(caps, d, 'host-any.pcap'))).sort() : [];
  it('finds the scenarios with per-interface captures', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(9);
  });
  for (const sc of scenarios) {
    it(`${sc}: host-<iface>.pcap files with --ingress agree with the kernel`, () => {
      const dir = path.join(ORACLE_DIR, 'captures', sc);
      const files = fs.readdirSync(dir).filter((f) => /^host-(eth0|docker0|br-aaaa|vethc\d)\.pcap$/.test(f)).sort();
      expect(files.length).toBeGreaterThanOrEqual(3);
      const out = fs.mkdtempSync(path.join(os.tmpdir(), `nfr-ingress-${sc}-`));
      const args = [CLI, 'replay', '--rules', path.join(dir, 'rules.v4'), '--snapshot', path.join(dir, 'host-snapshot'), '--out', out];
      args.push('--sysctl', 'net.netfilter.nf_conntrack_acct=1'); // set by the recorder, missing from its snapshot
      for (const f of files) args.push('--ingress', `${f.slice(5, -5)}=${path.join(dir, f)}`);
      args.push(...files.map((f) => path.join(dir, f)));
      const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const r = compareWithKernel(dir, out, sharedScenarioOptions(dir));
      expect(r.failures, formatReport(r)).toEqual([]);
      expect(r.compared.packets).toBeGreaterThan(0);
    });
  }
});

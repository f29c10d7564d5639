// Kernel agreement on the own recordings again, replayed this time from their per-interface classic pcaps
// (no directions in the files: inferred by the MAC rules, interfaces named with --ingress), as a user with
// one tcpdump per interface would; host-any.pcap is not used. Must give what the kernel did all the same.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareWithKernel, formatReport } from '../helpers/oracle.js';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const FIX = path.resolve(__dirname, '..', 'fixtures', 'oracle', 'captures');

describe('kernel agreement: own recordings from per-interface captures', () => {
  const scenarios = fs.readdirSync(FIX).filter((d) => fs.existsSync(path.join(FIX, d, 'host-any.pcap'))).sort();

  it('finds the recordings', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(11);
  });

  for (const sc of scenarios) {
    it(`${sc}: host-<iface>.pcap files with --ingress agree with the kernel`, () => {
      const dir = path.join(FIX, sc);
      const files = fs.readdirSync(dir).filter((f) => /^host-(eth\d|docker0|br-aaaa|vethc\d|cali\d|mac\d)\.pcap$/.test(f)).sort();
      expect(files.length).toBeGreaterThanOrEqual(3);
      const out = fs.mkdtempSync(path.join(os.tmpdir(), `nfr-per-iface-${sc}-`));
      const args = [CLI, 'replay', '--rules', path.join(dir, 'rules.v4'), '--snapshot', path.join(dir, 'host-snapshot'), '--out', out];
      for (const f of files) args.push('--ingress', `${f.slice(5, -5)}=${path.join(dir, f)}`);
      args.push(...files.map((f) => path.join(dir, f)));
      const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const r = compareWithKernel(dir, out);
      expect(r.failures, formatReport(r)).toEqual([]);
      expect(r.compared.packets).toBeGreaterThan(0);
      fs.rmSync(out, { recursive: true, force: true });
    });
  }
});

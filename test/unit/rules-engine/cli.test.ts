// `nfreplay rules gen` and `nfreplay bench rules`, run in-process through commander: output, --out files,
// option errors with exit code 2, and the --json record shape.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { registerRules } from '../../../src/cli/commands/rules.js';
import { registerBench } from '../../../src/cli/commands/bench.js';
import { dockerRules } from '../../../src/netfilter/rules/gen/docker.js';
import { synthesizeDocker } from '../../../src/netfilter/rules/gen/docker-synth.js';
import { kubeRules, synthesizeKube } from '../../../src/netfilter/rules/gen/kube.js';

let out = '';
let err = '';

beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  process.exitCode = undefined;
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<number> {
  const program = new Command().exitOverride();
  registerRules(program);
  registerBench(program);
  await program.parseAsync(['node', 'nfreplay', ...args]);
  return Number(process.exitCode ?? 0);
}

describe('nfreplay rules gen', () => {
  it('prints the Docker rule set for the given counts', async () => {
    expect(await run('rules', 'gen', 'docker', '--bridges', '3', '--ports', '5')).toBe(0);
    expect(out).toBe(dockerRules(synthesizeDocker({ bridges: 3, ports: 5, layout: 'classic', userlandProxy: true })));
    expect(out).toContain('-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8000 -j DNAT --to-destination 172.17.0.2:80\n');
  });

  it('writes the kube-proxy rule set to --out', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-gen-'));
    const file = path.join(dir, 'kube.rules');
    try {
      expect(await run('rules', 'gen', 'kube', '--services', '7', '--endpoints', '2', '--nodeports', '--out', file)).toBe(0);
      expect(out).toBe('');
      expect(fs.readFileSync(file, 'utf8')).toBe(kubeRules(synthesizeKube({ services: 7, endpoints: 2, nodePorts: true })));
      expect(fs.readdirSync(dir)).toEqual(['kube.rules']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad counts and layouts with exit code 2', async () => {
    expect(await run('rules', 'gen', 'kube', '--services', 'many')).toBe(2);
    expect(err).toMatch(/--services must be an integer/);
    err = '';
    expect(await run('rules', 'gen', 'docker', '--layout', 'new')).toBe(2);
    expect(err).toMatch(/--layout must be classic or modern/);
  });
});

describe('nfreplay bench rules --json', () => {
  it('prints one record per engine and packet kind', async () => {
    expect(await run('bench', 'rules', '--set', 'docker', '--json', '--packets', '64', '--warmup', '0', '--duration', '10', '--rounds', '1')).toBe(0);
    const records = JSON.parse(out) as Record<string, unknown>[];
    expect(records.map((r) => [r.set, r.packets, r.engine])).toEqual([
      ['docker', 'new', 'compiled'],
      ['docker', 'new', 'interpreted'],
      ['docker', 'established', 'compiled'],
      ['docker', 'established', 'interpreted'],
    ]);
    for (const r of records) {
      expect(Object.keys(r).sort()).toEqual(['engine', 'packets', 'pps', 'rulesVisited', 'services', 'set']);
      expect(r.pps).toBeGreaterThan(0);
      const v = r.rulesVisited as { p50: number; p99: number };
      expect(v.p50).toBeGreaterThan(0);
      expect(v.p99).toBeGreaterThanOrEqual(v.p50);
    }
    expect(err).toMatch(/^machine: /);
  });
});

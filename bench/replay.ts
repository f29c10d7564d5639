// bench/replay: end-to-end replay speed on one core — the generated Docker-host workload (bench/gen-docker-host:
// 1M packets, tens of thousands of connections through MASQUERADE, the published-port DNAT and the TCPMSS
// clamp, with the bundled Docker rule set and snapshot) — side by side in one run with
// `tcpdump -r FILE -w /dev/null` on the same file. Variants run interleaved over several rounds; medians shown.
//
// Run: npx tsc -p tsconfig.json && node dist/bench/replay.js [--packets N] [--rounds N] [--json] [FILE]

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayOptions, runReplay } from '../src/engine/replay.js';
import type { ReplayOptions } from '../src/engine/replay.js';
import { DATA_DIR, generateDockerHost } from './gen-docker-host.js';
import { replayFloor } from './replay-floor.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..', '..');
const HOST = path.join(ROOT, 'captures', 'docker-host');

interface Variant {
  name: string;
  run: () => { packets: number; seconds: number };
}

function replayVariant(name: string, file: string, over: Partial<ReplayOptions>): Variant {
  return {
    name,
    run: () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-bench-'));
      const o = replayOptions({ captures: [file], rulesPath: path.join(HOST, 'rules.v4'), snapshotDir: path.join(HOST, 'host-snapshot'), outDir: out }, over);
      const t0 = process.hrtime.bigint();
      const r = runReplay(o);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      fs.rmSync(out, { recursive: true, force: true });
      return { packets: r.report.packets.replayed, seconds };
    },
  };
}

function tcpdumpVariant(file: string, packets: number): Variant | null {
  if (spawnSync('tcpdump', ['--version']).status !== 0) {
    process.stderr.write('tcpdump not found: its row is left out (apt-get install tcpdump)\n');
    return null;
  }
  return {
    name: 'tcpdump -r FILE -w /dev/null',
    run: () => {
      const t0 = process.hrtime.bigint();
      const p = spawnSync('tcpdump', ['-r', file, '-w', '/dev/null'], { stdio: 'ignore' });
      if (p.status !== 0) throw new Error('tcpdump failed');
      return { packets, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const argv = process.argv.slice(2);
  const num = (flag: string, d: number): number => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  const json = argv.includes('--json');
  const packets = num('--packets', 1_000_000);
  const rounds = num('--rounds', 3);
  const positional = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && ['--packets', '--rounds'].includes(argv[i - 1]!)));
  let file = positional[0];
  if (file === undefined) {
    file = path.join(DATA_DIR, `docker-host-${packets}.pcap`);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(DATA_DIR, { recursive: true });
      process.stderr.write(`generating ${file} ...\n`);
      generateDockerHost({ packets, flows: 2000, seed: 1, gapNs: 2500, out: file });
    }
  }
  const variants: Variant[] = [
    replayVariant('replay (all outputs)', file, {}),
    replayVariant('replay --no-tx', file, { writeTx: false }),
    replayVariant('replay --no-tx --no-prescan', file, { writeTx: false, prescan: false }),
    replayVariant('replay --no-tx --no-prescan --engine interpreted', file, { writeTx: false, prescan: false, engine: 'interpreted' }),
  ];
  // the floor: the per-packet work around the datapath (read, copy, decode with checksums, write), alone
  variants.push({ name: 'floor: read+copy+decode (no datapath), tx written', run: () => replayFloor(file!, true) });
  variants.push({ name: 'floor: read+copy+decode (no datapath), no tx', run: () => replayFloor(file!, false) });
  const td = tcpdumpVariant(file, packets);
  if (td !== null) variants.push(td);
  const times = variants.map(() => [] as number[]);
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    variants.forEach((v, i) => {
      const res = v.run();
      n = res.packets;
      times[i]!.push(res.seconds);
    });
  }
  const rows = variants.map((v, i) => ({ variant: v.name, seconds: median(times[i]!), pps: n / median(times[i]!) }));
  const tcp = rows.find((r) => r.variant.startsWith('tcpdump'));
  const machine = { cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length, node: process.version, load: os.loadavg().map((x) => x.toFixed(2)).join(' ') };
  if (json) {
    process.stdout.write(JSON.stringify({ file, packets: n, rounds, machine, rows: rows.map((r) => ({ ...r, ratioToTcpdump: tcp ? r.pps / tcp.pps : null })) }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`end-to-end replay, one core: ${n} packets of ${path.basename(file)}, median of ${rounds} rounds\n`);
  process.stdout.write(`machine: ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, load ${machine.load}\n\n`);
  process.stdout.write(`${'variant'.padEnd(50)} ${'seconds'.padStart(8)} ${'packets/s'.padStart(12)} ${'vs tcpdump'.padStart(10)}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.variant.padEnd(50)} ${r.seconds.toFixed(3).padStart(8)} ${Math.round(r.pps).toLocaleString('en-US').padStart(12)} ${tcp ? (r.pps / tcp.pps).toFixed(3).padStart(10) : ''}\n`);
  }
}

main();

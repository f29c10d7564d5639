// bench/read: packets per second on one core for reading a capture — read only, read + decode, read +
// decode + RPS flow hash — side by side in one run with `tcpdump -r FILE -w /dev/null` (a subprocess on
// the same file) and the pcap-parser npm package. Variants run interleaved for several rounds (machine
// noise hits them alike); the table shows the median round of each, and the ratios between them.
//
// Run: node dist/bench/gen-imix.js && node dist/bench/read.js [FILE] [--rounds N] [--chunk BYTES] [--json]

import { spawnSync } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CHUNK } from '../src/capture/chunk.js';
import { openCapture } from '../src/capture/open.js';
import { decodeFrame, Verify } from '../src/decode/decode.js';
import { DecodeCounters } from '../src/decode/counters.js';
import { PacketMeta } from '../src/decode/meta.js';
import { flowHash } from '../src/flow/hash.js';
import { DATA_DIR } from './gen-imix.js';

interface Options {
  file: string;
  rounds: number;
  chunk: number;
  json: boolean;
  tcpdump: boolean;
  pcapParser: boolean;
}

interface Run {
  packets: number;
  seconds: number;
  /** Something derived from every packet, so no loop can be optimised away. */
  check: number;
}

type Variant = { name: string; run: () => Run | Promise<Run> };

function timed(fn: () => { packets: number; check: number }): Run {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return { packets: r.packets, check: r.check, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** Read only: every record's header fields, nothing else. */
function readOnly(o: Options): Run {
  return timed(() => {
    const c = openCapture([o.file], { chunkSize: o.chunk });
    let n = 0;
    let check = 0;
    for (let r = c.next(); r !== null; r = c.next()) {
      n++;
      check = (check + r.caplen + r.tsNsec) | 0;
    }
    c.close();
    return { packets: n, check };
  });
}

/** Read and decode into one reused PacketMeta; optionally the flow hash too. */
function readDecode(o: Options, verify: number, hash: boolean): Run {
  const meta = new PacketMeta();
  const counters = new DecodeCounters();
  return timed(() => {
    const c = openCapture([o.file], { chunkSize: o.chunk });
    let n = 0;
    let check = 0;
    for (let r = c.next(); r !== null; r = c.next()) {
      decodeFrame(meta, r.data, r.offset, r.caplen, r.origLen, r.linkType, counters, verify);
      check = hash ? (check + flowHash(meta, 0x5eed)) | 0 : (check + meta.sport + meta.l4Off) | 0;
      n++;
    }
    c.close();
    return { packets: n, check };
  });
}

/** tcpdump reading the file and writing every packet to /dev/null (wall time of the subprocess). */
function tcpdump(o: Options, packets: number): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('tcpdump', ['-r', o.file, '-w', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error !== undefined || r.status !== 0) throw new Error(`tcpdump failed: ${r.error?.message ?? r.stderr.toString()}`);
  return { packets, seconds, check: 0 };
}

const require = createRequire(import.meta.url);

/** pcap-parser's event stream over the same file. */
function pcapParser(o: Options): Promise<Run> {
  const parser = require('pcap-parser') as { parse(input: string): EventEmitter };
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let n = 0;
    let check = 0;
    const p = parser.parse(o.file);
    p.on('packet', (pkt: { header: { capturedLength: number } }) => {
      n++;
      check = (check + pkt.header.capturedLength) | 0;
    });
    p.on('error', reject);
    p.on('end', () => resolve({ packets: n, check, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
  });
}

function ratio(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(2);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { file: path.join(DATA_DIR, 'imix-1000000-seed1.pcap'), rounds: 3, chunk: DEFAULT_CHUNK, json: false, tcpdump: true, pcapParser: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rounds') o.rounds = Math.max(1, Number(argv[++i]));
    else if (a === '--chunk') o.chunk = Number(argv[++i]);
    else if (a === '--json') o.json = true;
    else if (a === '--no-tcpdump') o.tcpdump = false;
    else if (a === '--no-pcap-parser') o.pcapParser = false;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.file = a;
  }
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(o.file)) {
    process.stderr.write(`${o.file} not found: generate it first with node dist/bench/gen-imix.js\n`);
    process.exitCode = 2;
    return;
  }
  // warm the page cache and learn the packet count
  const packets = readOnly(o).packets;
  const variants: Variant[] = [
    { name: 'read', run: () => readOnly(o) },
    { name: 'read+decode', run: () => readDecode(o, Verify.IPV4_HEADER, false) },
    { name: 'read+decode+hash', run: () => readDecode(o, Verify.IPV4_HEADER, true) },
    { name: 'read+decode(all checksums)+hash', run: () => readDecode(o, Verify.ALL, true) },
  ];
  const head = Buffer.alloc(4);
  const fd = fs.openSync(o.file, 'r');
  fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  // tcpdump does not read gzip files
  if (head[0] === 0x1f && head[1] === 0x8b) o.tcpdump = false;
  if (o.tcpdump) variants.push({ name: 'tcpdump -r FILE -w /dev/null', run: () => tcpdump(o, packets) });
  // pcap-parser reads only classic pcap with the microsecond magic
  const magic = head.readUInt32LE(0);
  if (o.pcapParser && (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1)) variants.push({ name: 'pcap-parser', run: () => pcapParser(o) });
  else o.pcapParser = false;
  const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < o.rounds; round++) {
    for (const v of variants) {
      const r = await v.run();
      if (r.packets !== packets) throw new Error(`${v.name} saw ${r.packets} packets, expected ${packets}`);
      times.get(v.name)!.push(r.seconds);
    }
  }
  const pps = (name: string): number => packets / median(times.get(name)!);
  const tcpdumpPps = o.tcpdump ? pps('tcpdump -r FILE -w /dev/null') : NaN;
  const parserPps = o.pcapParser ? pps('pcap-parser') : NaN;
  const rows = variants.map((v) => ({
    variant: v.name,
    pps: Math.round(pps(v.name)),
    nsPerPacket: Number((1e9 / pps(v.name)).toFixed(1)),
    vsTcpdump: Number.isNaN(tcpdumpPps) ? null : Number((pps(v.name) / tcpdumpPps).toFixed(2)),
    vsPcapParser: Number.isNaN(parserPps) ? null : Number((pps(v.name) / parserPps).toFixed(2)),
  }));
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    file: o.file,
    fileBytes: fs.statSync(o.file).size,
    packets,
    rounds: o.rounds,
    chunkBytes: o.chunk,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  if (o.json) {
    process.stdout.write(JSON.stringify({ machine, results: rows }, null, 2) + '\n');
    return;
  }
  const out: string[] = [];
  out.push(`machine: ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, ${machine.os}`);
  out.push(`file: ${machine.file} (${packets} packets, ${(machine.fileBytes / 1048576).toFixed(1)} MiB), ${o.rounds} rounds, median shown; max RSS ${machine.maxRssMiB} MiB`);
  out.push('');
  out.push(`${'variant'.padEnd(34)} ${'packets/s'.padStart(12)} ${'ns/pkt'.padStart(8)} ${'x tcpdump'.padStart(10)} ${'x pcap-parser'.padStart(14)}`);
  for (const r of rows) {
    out.push(
      `${r.variant.padEnd(34)} ${r.pps.toLocaleString('en-US').padStart(12)} ${r.nsPerPacket.toFixed(1).padStart(8)} ${ratio(r.vsTcpdump).padStart(10)} ${ratio(r.vsPcapParser).padStart(14)}`,
    );
  }
  process.stdout.write(out.join('\n') + '\n');
}

await main();

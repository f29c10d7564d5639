// bench/decode: how many ns does decode (+ the RPS flow hash) cost per packet on one core? Frames come
// from the corpus' echo-connections capture (82,582 Ethernet/IPv4/TCP packets) when ../shared is there,
// else from a seeded synthetic mix (8192 frames by default: a working set that stays in cache, as a
// capture reader's freshly filled chunk does); all are copied into one buffer, so reading is not measured.
// Variants run interleaved in the same process (machine noise hits them alike); per-round ns/packet is
// reported as best, median and p99 over the rounds. Run: [ROUNDS=n] [FRAMES=n] node dist/bench/decode.js

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCapture } from '../src/capture/open.js';
import { LinkType } from '../src/capture/types.js';
import { decodeFrame, Verify } from '../src/decode/decode.js';
import { DecodeCounters } from '../src/decode/counters.js';
import { PacketMeta } from '../src/decode/meta.js';
import { flowHash } from '../src/flow/hash.js';
import { Prng } from '../src/util/prng.js';
import { putBe16, putBe32 } from '../src/util/bytes.js';
import { ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../src/wire/checksum.js';

interface Frames {
  buf: Uint8Array;
  off: Int32Array;
  len: Int32Array;
  n: number;
  source: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const CORPUS = path.resolve(process.env.NFREPLAY_SHARED ?? path.resolve(here, '..', '..', '..', 'shared'), 'corpus', 'zeek', 'echo-connections.pcap.gz');

function loadCorpus(file: string): Frames {
  const cur = openCapture([file]);
  const chunks: Uint8Array[] = [];
  const offs: number[] = [];
  const lens: number[] = [];
  let total = 0;
  for (let r = cur.next(); r !== null; r = cur.next()) {
    if (r.linkType !== LinkType.ETHERNET) continue;
    chunks.push(r.data.slice(r.offset, r.offset + r.caplen));
    offs.push(total);
    lens.push(r.caplen);
    total += r.caplen;
  }
  cur.close();
  const buf = new Uint8Array(total);
  for (let i = 0; i < chunks.length; i++) buf.set(chunks[i]!, offs[i]!);
  return { buf, off: Int32Array.from(offs), len: Int32Array.from(lens), n: offs.length, source: `${path.basename(file)} (${offs.length} frames)` };
}

/** Seeded Ethernet/IPv4/TCP frames: 60% 66-byte ACKs with timestamps, 40% 1514-byte segments; valid checksums. */
function synthetic(n: number): Frames {
  const rng = new Prng(42);
  const lens = new Int32Array(n);
  for (let i = 0; i < n; i++) lens[i] = rng.u32() % 10 < 6 ? 66 : 1514;
  const off = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    off[i] = total;
    total += lens[i]!;
  }
  const buf = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    const o = off[i]!;
    const ip = o + 14;
    const tcp = ip + 20;
    const totLen = lens[i]! - 14;
    putBe16(buf, o + 12, 0x0800);
    buf[ip] = 0x45;
    putBe16(buf, ip + 2, totLen);
    buf[ip + 8] = 64;
    buf[ip + 9] = 6;
    const s = (0x0a000000 | (rng.u32() & 0xff)) >>> 0;
    const d = (0xc0a80000 | (rng.u32() & 0xff)) >>> 0;
    putBe32(buf, ip + 12, s);
    putBe32(buf, ip + 16, d);
    putBe16(buf, ip + 10, ipv4HeaderChecksum(buf, ip, 20));
    putBe16(buf, tcp, 1024 + (rng.u32() & 0xfff));
    putBe16(buf, tcp + 2, 80);
    buf[tcp + 12] = 8 << 4;
    buf[tcp + 13] = 0x10;
    buf[tcp + 20] = 1;
    buf[tcp + 21] = 1;
    buf[tcp + 22] = 8;
    buf[tcp + 23] = 10;
    for (let j = tcp + 32; j < o + lens[i]!; j++) buf[j] = rng.u32() & 0xff;
    putBe16(buf, tcp + 16, l4Checksum(buf, tcp, totLen - 20, 16, pseudoHeaderSum(s, d, 6, totLen - 20)));
  }
  return { buf, off, len: lens, n, source: `synthetic (${n} frames, seed 42)` };
}

type Variant = { name: string; run: (f: Frames, m: PacketMeta, c: DecodeCounters) => number };

const VARIANTS: Variant[] = [
  {
    name: 'decode, no checksums',
    run: (f, m, c) => {
      let x = 0;
      for (let i = 0; i < f.n; i++) {
        decodeFrame(m, f.buf, f.off[i]!, f.len[i]!, f.len[i]!, LinkType.ETHERNET, c, Verify.NONE);
        x ^= m.sport;
      }
      return x;
    },
  },
  {
    name: 'decode + flowHash, no checksums',
    run: (f, m, c) => {
      let x = 0;
      for (let i = 0; i < f.n; i++) {
        decodeFrame(m, f.buf, f.off[i]!, f.len[i]!, f.len[i]!, LinkType.ETHERNET, c, Verify.NONE);
        x ^= flowHash(m, 0x5eed);
      }
      return x;
    },
  },
  {
    name: 'decode + IPv4 header checksum + flowHash',
    run: (f, m, c) => {
      let x = 0;
      for (let i = 0; i < f.n; i++) {
        decodeFrame(m, f.buf, f.off[i]!, f.len[i]!, f.len[i]!, LinkType.ETHERNET, c, Verify.IPV4_HEADER);
        x ^= flowHash(m, 0x5eed);
      }
      return x;
    },
  },
  {
    name: 'decode + all checksums (L4 too) + flowHash',
    run: (f, m, c) => {
      let x = 0;
      for (let i = 0; i < f.n; i++) {
        decodeFrame(m, f.buf, f.off[i]!, f.len[i]!, f.len[i]!, LinkType.ETHERNET, c, Verify.ALL);
        x ^= flowHash(m, 0x5eed);
      }
      return x;
    },
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function main(): void {
  const frames = fs.existsSync(CORPUS) ? loadCorpus(CORPUS) : synthetic(Number(process.env.FRAMES ?? 8192));
  const bytes = frames.len.reduce((a, b) => a + b, 0);
  const rounds = Number(process.env.ROUNDS ?? 15);
  const m = new PacketMeta();
  const c = new DecodeCounters();
  const samples: number[][] = VARIANTS.map(() => []);
  let sink = 0;
  for (const v of VARIANTS) for (let w = 0; w < 3; w++) sink ^= v.run(frames, m, c); // warm-up (JIT)
  const heapBefore = process.memoryUsage().heapUsed;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < VARIANTS.length; k++) {
      const v = VARIANTS[(k + r) % VARIANTS.length]!;
      const t0 = process.hrtime.bigint();
      sink ^= v.run(frames, m, c);
      const ns = Number(process.hrtime.bigint() - t0);
      samples[VARIANTS.indexOf(v)]!.push(ns / frames.n);
    }
  }
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(`bench/decode — ${frames.source}, ${(bytes / frames.n).toFixed(0)} bytes/frame on average`);
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores; ${rounds} interleaved rounds per variant`);
  for (let k = 0; k < VARIANTS.length; k++) {
    const s = samples[k]!.slice().sort((a, b) => a - b);
    const p50 = percentile(s, 50);
    console.log(
      `${VARIANTS[k]!.name.padEnd(44)} best ${s[0]!.toFixed(1).padStart(6)}  p50 ${p50.toFixed(1).padStart(6)}  p99 ${percentile(s, 99).toFixed(1).padStart(6)} ns/pkt  (p50: ${(1e3 / p50).toFixed(2)} M pkt/s)`,
    );
  }
  const perMillion = ((heapAfter - heapBefore) / (rounds * VARIANTS.length * frames.n)) * 1e6;
  console.log(`heap growth: ${(perMillion / 1024).toFixed(1)} KiB per million packets (sink ${sink & 1})`);
}

main();

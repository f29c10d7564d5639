// bench/gen-imix: a seeded synthetic capture for the read benchmarks — Ethernet/IPv4 traffic of thousands
// of flows (TCP handshakes with MSS/SACK/WS/TS options, data and ACKs; UDP; some ICMP echo) whose frames
// follow the simple IMIX 7:4:1 of 64/570/1518 bytes on the wire (60/566/1514 captured, the FCS is not).
// Checksums are valid. The same seed gives the same file, byte for byte.
//
// Run: node dist/bench/gen-imix.js [--packets N] [--flows N] [--seed N] [--nano] [--pcapng] [--out FILE]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { PcapngWriter } from '../src/capture/pcapng-writer.js';
import { LinkType } from '../src/capture/types.js';
import { putBe16, putBe32 } from '../src/util/bytes.js';
import { Prng } from '../src/util/prng.js';
import { csumFold, csumPartial, ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../src/wire/checksum.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** bench/data in the checkout (this file runs from dist/bench). */
export const DATA_DIR = path.resolve(here, '..', '..', 'bench', 'data');

export interface ImixOptions {
  packets: number;
  /** Flows alive at any time; a finished flow is replaced by a new one. */
  flows: number;
  seed: number;
  nano: boolean;
  /** Write pcapng (one Ethernet interface, EPBs) instead of pcap. */
  pcapng: boolean;
  out: string;
}

/** Captured frame sizes of the three IMIX classes (64/570/1518 on the wire minus the 4-byte FCS). */
const SIZES = [60, 566, 1514] as const;
const Proto = { TCP: 6, UDP: 17, ICMP: 1 } as const;
/** TCP flow states. */
const St = { NEW: 0, SYN_SENT: 1, SYN_RECV: 2, ESTABLISHED: 3 } as const;
const ETH = 14;
const IP = 20;
/** SYN options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7 (20 bytes). */
const SYN_OPTIONS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7];

/** Per-flow state in parallel typed arrays (one slot per live flow). */
class Flows {
  readonly proto: Uint8Array;
  readonly client: Uint32Array;
  readonly server: Uint32Array;
  readonly cport: Uint16Array;
  readonly sport: Uint16Array;
  readonly state: Uint8Array;
  readonly cseq: Uint32Array;
  readonly sseq: Uint32Array;
  readonly left: Uint32Array;
  started = 0;

  constructor(n: number) {
    this.proto = new Uint8Array(n);
    this.client = new Uint32Array(n);
    this.server = new Uint32Array(n);
    this.cport = new Uint16Array(n);
    this.sport = new Uint16Array(n);
    this.state = new Uint8Array(n);
    this.cseq = new Uint32Array(n);
    this.sseq = new Uint32Array(n);
    this.left = new Uint32Array(n);
  }

  /** Start a new flow in slot i: 80% TCP, 15% UDP, 5% ICMP echo; clients 10.x, servers 198.51.100.x / 203.0.113.x. */
  start(i: number, rng: Prng): void {
    const r = rng.below(100);
    this.proto[i] = r < 80 ? Proto.TCP : r < 95 ? Proto.UDP : Proto.ICMP;
    this.client[i] = (0x0a000000 | rng.below(0x10000)) >>> 0;
    this.server[i] = (rng.below(2) === 0 ? 0xc6336400 : 0xcb007100) | (1 + rng.below(254));
    this.cport[i] = 32768 + rng.below(28232);
    this.sport[i] = this.proto[i] === Proto.UDP ? [9999, 12345, 20000, 30000][rng.below(4)]! : [80, 443, 8080, 5432][rng.below(4)]!;
    this.state[i] = St.NEW;
    this.cseq[i] = rng.u32();
    this.sseq[i] = rng.u32();
    this.left[i] = 20 + rng.below(400);
    this.started++;
  }
}

/** Write a frame for flow i into buf; returns its captured length. */
function buildFrame(buf: Uint8Array, f: Flows, i: number, size: number, rng: Prng, payload: Uint8Array): number {
  const proto = f.proto[i]!;
  let toServer = rng.below(10) < 4;
  let l4 = ETH + IP;
  let l4len: number;
  let flags = 0x10; // ACK
  let opts = 0;
  if (proto === Proto.TCP && f.state[i] !== St.ESTABLISHED) {
    // handshake: SYN (client), SYN-ACK (server), ACK (client)
    const st = f.state[i]!;
    toServer = st !== St.SYN_SENT;
    flags = st === St.NEW ? 0x02 : st === St.SYN_SENT ? 0x12 : 0x10;
    opts = st === St.SYN_RECV ? 0 : SYN_OPTIONS.length;
    f.state[i] = st + 1;
    size = ETH + IP + 20 + opts;
  }
  const frame = size < 60 ? 60 : size;
  // Ethernet: the client side sits behind 02:00:0a:00:00:01, the router is 02:00:c6:33:64:01
  putBe32(buf, 0, toServer ? 0x0200c633 : 0x02000a00);
  putBe16(buf, 4, toServer ? 0x6401 : 0x0001);
  putBe32(buf, 6, toServer ? 0x02000a00 : 0x0200c633);
  putBe16(buf, 10, toServer ? 0x0001 : 0x6401);
  putBe16(buf, 12, 0x0800);
  const saddr = toServer ? f.client[i]! : f.server[i]!;
  const daddr = toServer ? f.server[i]! : f.client[i]!;
  if (proto === Proto.TCP) {
    const dataLen = f.state[i] === St.ESTABLISHED && flags === 0x10 && size > ETH + IP + 20 ? size - ETH - IP - 20 : 0;
    l4len = 20 + opts + dataLen;
    putBe16(buf, l4, toServer ? f.cport[i]! : f.sport[i]!);
    putBe16(buf, l4 + 2, toServer ? f.sport[i]! : f.cport[i]!);
    putBe32(buf, l4 + 4, toServer ? f.cseq[i]! : f.sseq[i]!);
    putBe32(buf, l4 + 8, flags === 0x02 ? 0 : toServer ? f.sseq[i]! : f.cseq[i]!);
    buf[l4 + 12] = ((20 + opts) / 4) << 4;
    buf[l4 + 13] = dataLen > 0 ? flags | 0x08 : flags;
    putBe16(buf, l4 + 14, 502);
    putBe32(buf, l4 + 16, 0);
    for (let k = 0; k < opts; k++) buf[l4 + 20 + k] = SYN_OPTIONS[k]!;
    if (opts > 0) putBe32(buf, l4 + 28, rng.u32());
    buf.set(payload.subarray(0, dataLen), l4 + 20 + opts);
    const adv = dataLen + (flags & 0x02 ? 1 : 0);
    if (toServer) f.cseq[i] = (f.cseq[i]! + adv) >>> 0;
    else f.sseq[i] = (f.sseq[i]! + adv) >>> 0;
    putBe16(buf, l4 + 16, l4Checksum(buf, l4, l4len, 16, pseudoHeaderSum(saddr, daddr, 6, l4len)));
  } else if (proto === Proto.UDP) {
    l4len = Math.max(8, size - ETH - IP);
    putBe16(buf, l4, toServer ? f.cport[i]! : f.sport[i]!);
    putBe16(buf, l4 + 2, toServer ? f.sport[i]! : f.cport[i]!);
    putBe16(buf, l4 + 4, l4len);
    putBe16(buf, l4 + 6, 0);
    buf.set(payload.subarray(0, l4len - 8), l4 + 8);
    putBe16(buf, l4 + 6, l4Checksum(buf, l4, l4len, 6, pseudoHeaderSum(saddr, daddr, 17, l4len)) || 0xffff);
  } else {
    // ICMP echo request (to the server) / reply, id = client port, seq counting down
    l4len = Math.max(8, size - ETH - IP);
    buf[l4] = toServer ? 8 : 0;
    buf[l4 + 1] = 0;
    putBe16(buf, l4 + 2, 0);
    putBe16(buf, l4 + 4, f.cport[i]!);
    putBe16(buf, l4 + 6, f.left[i]! & 0xffff);
    buf.set(payload.subarray(0, l4len - 8), l4 + 8);
    putBe16(buf, l4 + 2, csumFold(csumPartial(buf, l4, l4len, 0)));
  }
  // IPv4 header; frames shorter than 60 bytes are padded after it (Ethernet minimum)
  buf[ETH] = 0x45;
  buf[ETH + 1] = 0;
  putBe16(buf, ETH + 2, IP + l4len);
  putBe16(buf, ETH + 4, rng.u16());
  putBe16(buf, ETH + 6, 0x4000);
  buf[ETH + 8] = toServer ? 64 : 57;
  buf[ETH + 9] = proto;
  putBe16(buf, ETH + 10, 0);
  putBe32(buf, ETH + 12, saddr);
  putBe32(buf, ETH + 16, daddr);
  putBe16(buf, ETH + 10, ipv4HeaderChecksum(buf, ETH, IP));
  const len = ETH + IP + l4len;
  for (let k = len; k < frame; k++) buf[k] = 0;
  return len < frame ? frame : len;
}

/** Generate the capture; returns counts for the summary. */
export function generateImix(o: ImixOptions): { packets: number; flows: number; bytes: number; sizes: number[]; protos: Record<string, number> } {
  const rng = new Prng(o.seed);
  const pay = new Prng(o.seed, 1);
  const payload = new Uint8Array(1600);
  const flows = new Flows(o.flows);
  for (let i = 0; i < o.flows; i++) flows.start(i, rng);
  const w = o.pcapng
    ? new PcapngWriter(o.out, { interfaces: [{ linkType: LinkType.ETHERNET, name: 'eth0', snaplen: 65535, tsResolution: o.nano ? 'ns' : 'us' }] })
    : new PcapWriter(o.out, { linkType: LinkType.ETHERNET, nanosecond: o.nano, snaplen: 65535 });
  const buf = new Uint8Array(2048);
  const sizes = [0, 0, 0, 0];
  const protos: Record<string, number> = { tcp: 0, udp: 0, icmp: 0 };
  let sec = 1700000000;
  let nsec = 0;
  let bytes = 0;
  try {
    for (let n = 0; n < o.packets; n++) {
      // skewed flow choice: half the packets go to the first eighth of the slots
      const i = rng.below(2) === 0 ? rng.below(Math.max(1, o.flows >> 3)) : rng.below(o.flows);
      const c = rng.below(12);
      const size = SIZES[c < 7 ? 0 : c < 11 ? 1 : 2];
      for (let k = 0; k < 1600; k += 4) putBe32(payload, k, pay.u32());
      const len = buildFrame(buf, flows, i, size, rng, payload);
      sizes[len === 60 ? 0 : len === 566 ? 1 : len === 1514 ? 2 : 3]!++;
      protos[flows.proto[i] === Proto.TCP ? 'tcp' : flows.proto[i] === Proto.UDP ? 'udp' : 'icmp']!++;
      nsec += 200 + rng.below(1600); // ~1 µs apart on average
      if (nsec >= 1e9) {
        sec++;
        nsec -= 1e9;
      }
      if (w instanceof PcapngWriter) w.writePacket(0, buf, 0, len, len, sec, nsec);
      else w.writePacket(buf, 0, len, len, sec, nsec);
      bytes += len;
      if (--flows.left[i]! === 0) flows.start(i, rng);
    }
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
  return { packets: o.packets, flows: flows.started, bytes, sizes, protos };
}

function parseArgs(argv: string[]): ImixOptions {
  const o: ImixOptions = { packets: 1_000_000, flows: 4096, seed: 1, nano: false, pcapng: false, out: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${a} needs a positive integer`);
      return v;
    };
    if (a === '--packets') o.packets = num();
    else if (a === '--flows') o.flows = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--nano') o.nano = true;
    else if (a === '--pcapng') o.pcapng = true;
    else if (a === '--out') o.out = argv[++i] ?? '';
    else throw new Error(`unknown argument ${a}`);
  }
  if (o.out === '') o.out = path.join(DATA_DIR, `imix-${o.packets}-seed${o.seed}${o.nano ? '-ns' : ''}.${o.pcapng ? 'pcapng' : 'pcap'}`);
  return o;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const o = parseArgs(process.argv.slice(2));
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  const t0 = performance.now();
  const s = generateImix(o);
  const secs = (performance.now() - t0) / 1000;
  const pct = (k: number): string => ((100 * k) / s.packets).toFixed(1);
  process.stdout.write(
    `${o.out}\n  ${s.packets} packets, ${s.flows} flows, ${(s.bytes / 1048576).toFixed(1)} MiB of frames, seed ${o.seed}, ${secs.toFixed(1)} s\n` +
      `  frames 60/566/1514 B (64/570/1518 on the wire): ${pct(s.sizes[0]!)}% / ${pct(s.sizes[1]!)}% / ${pct(s.sizes[2]!)}% (handshake frames of other sizes: ${pct(s.sizes[3]!)}%)\n` +
      `  tcp ${pct(s.protos.tcp!)}%, udp ${pct(s.protos.udp!)}%, icmp ${pct(s.protos.icmp!)}%\n`,
  );
}

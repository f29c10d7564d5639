// bench/gen-docker-host: a seeded 1M-packet workload for the bundled Docker host (captures/docker-host:
// uplink eth0 198.51.100.1 via 198.51.100.10, docker0 172.17/16 with c1-c3 on vethc1-3, br-aaaa 172.18/16
// with c4 on vethc4; c3 is left out: it never spoke in the recording, so the snapshot has no neighbour entry
// for it), as a `tcpdump -i any` capture (Linux cooked v2) holding only what the host received:
//  - 70% container TCP connections to outside servers 203.0.113.x:80/443 (MASQUERADE keeps the port, the
//    MSS clamp lowers 1460 to 1410): handshake, request, response segments, ACKs, FIN exchange;
//  - 20% outside clients connecting to the published port 198.51.100.1:8080 (DNAT to c1:80);
//  - 10% container UDP queries to 203.0.113.53:53 with replies.
// Sequence and acknowledgement numbers are consistent, so conntrack keeps every flow valid. Checksums are
// correct. The same seed gives the same file.
//
// Run: node dist/bench/gen-docker-host.js [--packets N] [--flows N] [--seed N] [--gap-ns N] [--out FILE]

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { LinkType } from '../src/capture/types.js';
import { putBe16, putBe32 } from '../src/util/bytes.js';
import { Prng } from '../src/util/prng.js';
import { ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../src/wire/checksum.js';
import { parseIpv4, parseMac } from '../src/util/ipv4.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DATA_DIR = path.resolve(here, '..', '..', 'bench', 'data');

export interface DockerHostGenOptions {
  packets: number;
  /** Connections alive at once. */
  flows: number;
  seed: number;
  /** Mean gap between packets (ns). */
  gapNs: number;
  out: string;
}

/** The bundled host (captures/docker-host/host-snapshot). */
const HOST_IP = parseIpv4('198.51.100.1');
const ETH0 = { ifindex: 2 };
const EXT_MAC = parseMac('02:00:c6:33:64:0a')!;
const CONTAINERS = [
  { ip: parseIpv4('172.17.0.2'), mac: parseMac('02:42:ac:11:00:02')!, ifindex: 5 },
  { ip: parseIpv4('172.17.0.3'), mac: parseMac('02:42:ac:11:00:03')!, ifindex: 6 },
  { ip: parseIpv4('172.18.0.2'), mac: parseMac('02:42:ac:12:00:02')!, ifindex: 8 },
];
const PUBLISHED = { port: 8080, backend: 0, backendPort: 80 };
const SERVERS = 254;
const SERVER_BASE = parseIpv4('203.0.113.0');
const DNS = parseIpv4('203.0.113.53');

const Kind = { EGRESS: 0, INGRESS: 1, UDP: 2 } as const;
const SLL2 = 20;
const PKT_HOST = 0;
const PKT_OTHERHOST = 3;
const F = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 } as const;

/** One connection: client side (the initiator) and server side, in the addresses each side uses on the wire. */
class Conn {
  kind = 0;
  container = 0;
  /** Initiator's address/port as it sends; responder's address/port as the initiator addresses it. */
  cIp = 0;
  cPort = 0;
  sIp = 0;
  sPort = 0;
  /** What the responder sees as the initiator (after SNAT) and answers to, and its own address. */
  rDstIp = 0;
  rDstPort = 0;
  rSrcIp = 0;
  rSrcPort = 0;
  cSeq = 0;
  sSeq = 0;
  step = 0;
  /** Remaining request/response rounds and response segments in this round. */
  rounds = 0;
  segsLeft = 0;
  reqLen = 0;
}

export function generateDockerHost(o: DockerHostGenOptions): { packets: number; connections: number } {
  const rng = new Prng(o.seed);
  const w = new PcapWriter(o.out, { linkType: LinkType.LINUX_SLL2, nanosecond: true, snaplen: 65535 });
  const buf = new Uint8Array(2048);
  const live: Conn[] = [];
  const nextPort = new Uint16Array(SERVERS + 1).fill(0);
  let connections = 0;
  let t = 0;
  let written = 0;
  const base = 1_763_700_000;

  const start = (c: Conn): void => {
    connections++;
    const r = rng.below(10);
    c.kind = r < 7 ? Kind.EGRESS : r < 9 ? Kind.INGRESS : Kind.UDP;
    c.container = rng.below(CONTAINERS.length);
    c.step = 0;
    c.rounds = 1 + rng.below(3);
    c.cSeq = rng.u32();
    c.sSeq = rng.u32();
    const ct = CONTAINERS[c.container]!;
    if (c.kind === Kind.INGRESS) {
      // an outside client → the published port; the backend answers the client directly (DNAT only)
      const s = 1 + rng.below(SERVERS - 1);
      c.cIp = (SERVER_BASE + s) >>> 0;
      c.cPort = 20000 + (nextPort[s]!++ % 40000);
      c.sIp = HOST_IP;
      c.sPort = PUBLISHED.port;
      c.rSrcIp = CONTAINERS[PUBLISHED.backend]!.ip;
      c.rSrcPort = PUBLISHED.backendPort;
      c.rDstIp = c.cIp;
      c.rDstPort = c.cPort;
      return;
    }
    const s = c.kind === Kind.UDP ? 53 : 1 + rng.below(SERVERS - 1);
    c.sIp = c.kind === Kind.UDP ? DNS : (SERVER_BASE + s) >>> 0;
    c.sPort = c.kind === Kind.UDP ? 53 : rng.below(2) === 0 ? 80 : 443;
    // unique source ports per destination: MASQUERADE keeps them (no clash)
    c.cIp = ct.ip;
    c.cPort = 10000 + (nextPort[s]!++ % 50000);
    c.rSrcIp = c.sIp;
    c.rSrcPort = c.sPort;
    c.rDstIp = HOST_IP;
    c.rDstPort = c.cPort;
  };

  /** Emit one packet of `c` (false when the connection is over). */
  const emit = (c: Conn): boolean => {
    const ct = CONTAINERS[c.container]!;
    const backend = CONTAINERS[PUBLISHED.backend]!;
    // who sends: the initiator (from a container, or from outside), or the responder
    const fromInit = (sender: boolean, flags: number, len: number): void => {
      if (c.kind === Kind.INGRESS) {
        if (sender) frame(ETH0.ifindex, PKT_HOST, EXT_MAC, c.cIp, c.sIp, c.cPort, c.sPort, flags, c.cSeq, c.sSeq, len, 6);
        else frame(backend.ifindex, PKT_OTHERHOST, backend.mac, c.rSrcIp, c.rDstIp, c.rSrcPort, c.rDstPort, flags, c.sSeq, c.cSeq, len, 6);
      } else if (sender) frame(ct.ifindex, PKT_OTHERHOST, ct.mac, c.cIp, c.sIp, c.cPort, c.sPort, flags, c.cSeq, c.sSeq, len, c.kind === Kind.UDP ? 17 : 6);
      else frame(ETH0.ifindex, PKT_HOST, EXT_MAC, c.rSrcIp, c.rDstIp, c.rSrcPort, c.rDstPort, flags, c.sSeq, c.cSeq, len, c.kind === Kind.UDP ? 17 : 6);
    };
    if (c.kind === Kind.UDP) {
      if (c.step >= 2 * c.rounds) return false;
      const query = (c.step & 1) === 0;
      fromInit(query, 0, query ? 40 + rng.below(40) : 80 + rng.below(400));
      c.step++;
      return true;
    }
    switch (c.step) {
      case 0:
        fromInit(true, F.SYN, 0);
        c.cSeq = (c.cSeq + 1) >>> 0;
        c.step = 1;
        return true;
      case 1:
        fromInit(false, F.SYN | F.ACK, 0);
        c.sSeq = (c.sSeq + 1) >>> 0;
        c.step = 2;
        return true;
      case 2:
        fromInit(true, F.ACK, 0);
        c.step = 3;
        return true;
      case 3: {
        // a request
        c.reqLen = 60 + rng.below(500);
        fromInit(true, F.PSH | F.ACK, c.reqLen);
        c.cSeq = (c.cSeq + c.reqLen) >>> 0;
        c.segsLeft = 1 + rng.below(4);
        c.step = 4;
        return true;
      }
      case 4: {
        // response segments (IMIX-ish: full 1398-byte segments, a short tail)
        const len = c.segsLeft > 1 ? 1398 : 64 + rng.below(500);
        fromInit(false, c.segsLeft > 1 ? F.ACK : F.PSH | F.ACK, len);
        c.sSeq = (c.sSeq + len) >>> 0;
        c.segsLeft--;
        if (c.segsLeft === 0) c.step = 5;
        return true;
      }
      case 5:
        fromInit(true, F.ACK, 0);
        c.rounds--;
        c.step = c.rounds > 0 ? 3 : 6;
        return true;
      case 6:
        fromInit(true, F.FIN | F.ACK, 0);
        c.cSeq = (c.cSeq + 1) >>> 0;
        c.step = 7;
        return true;
      case 7:
        fromInit(false, F.FIN | F.ACK, 0);
        c.sSeq = (c.sSeq + 1) >>> 0;
        c.step = 8;
        return true;
      case 8:
        fromInit(true, F.ACK, 0);
        c.step = 9;
        return true;
      default:
        return false;
    }
  };

  let ipId = rng.u16();
  const frame = (
    ifindex: number, pktType: number, mac: { hi: number; lo: number }, src: number, dst: number,
    sport: number, dport: number, flags: number, seq: number, ack: number, payload: number, proto: number,
  ): void => {
    const syn = (flags & F.SYN) !== 0;
    const l4h = proto === 17 ? 8 : syn ? 40 : 20;
    const ipLen = 20 + l4h + payload;
    // SLL2
    putBe16(buf, 0, 0x0800);
    putBe16(buf, 2, 0);
    putBe32(buf, 4, ifindex);
    putBe16(buf, 8, 1);
    buf[10] = pktType;
    buf[11] = 6;
    putBe16(buf, 12, mac.hi);
    putBe32(buf, 14, mac.lo);
    putBe16(buf, 18, 0);
    const ip = SLL2;
    buf[ip] = 0x45;
    buf[ip + 1] = 0;
    putBe16(buf, ip + 2, ipLen);
    ipId = (ipId + 1) & 0xffff;
    putBe16(buf, ip + 4, ipId);
    putBe16(buf, ip + 6, 0x4000);
    buf[ip + 8] = 64;
    buf[ip + 9] = proto;
    putBe32(buf, ip + 12, src);
    putBe32(buf, ip + 16, dst);
    putBe16(buf, ip + 10, 0);
    putBe16(buf, ip + 10, ipv4HeaderChecksum(buf, ip, 20));
    const l4 = ip + 20;
    putBe16(buf, l4, sport);
    putBe16(buf, l4 + 2, dport);
    if (proto === 17) {
      putBe16(buf, l4 + 4, 8 + payload);
      putBe16(buf, l4 + 6, 0);
    } else {
      putBe32(buf, l4 + 4, seq);
      putBe32(buf, l4 + 8, (flags & F.ACK) !== 0 ? ack : 0);
      buf[l4 + 12] = (l4h / 4) << 4;
      buf[l4 + 13] = flags;
      putBe16(buf, l4 + 14, 502); // 502 << 7 = 64256 bytes of window
      putBe16(buf, l4 + 16, 0);
      putBe16(buf, l4 + 18, 0);
      if (syn) {
        // MSS 1460, SACK permitted, timestamps, NOP, window scale 7
        const opt = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
        for (let i = 0; i < 20; i++) buf[l4 + 20 + i] = opt[i]!;
        putBe16(buf, l4 + 14, 64240);
      }
    }
    for (let i = 0; i < payload; i++) buf[l4 + l4h + i] = (i * 7 + seq) & 0xff;
    const at = proto === 17 ? 6 : 16;
    let sum = l4Checksum(buf, l4, l4h + payload, at, pseudoHeaderSum(src, dst, proto, l4h + payload));
    if (proto === 17 && sum === 0) sum = 0xffff;
    putBe16(buf, l4 + at, sum);
    t += 1 + rng.below(2 * o.gapNs);
    const total = SLL2 + ipLen;
    w.writePacket(buf, 0, total, total, base + Math.floor(t / 1e9), t % 1e9);
    written++;
  };

  while (written < o.packets) {
    while (live.length < o.flows) {
      const c = new Conn();
      start(c);
      live.push(c);
    }
    const i = rng.below(live.length);
    const c = live[i]!;
    if (!emit(c)) {
      live[i] = live[live.length - 1]!;
      live.pop();
    }
  }
  w.close();
  return { packets: written, connections };
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    process.stderr.write(`gen-docker-host: ${name} needs a non-negative integer, got ${JSON.stringify(process.argv[i + 1] ?? '')}\n`);
    process.exit(2);
  }
  return v;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write('usage: node dist/bench/gen-docker-host.js [--packets N] [--flows N] [--seed N] [--gap-ns N] [--out FILE]\n' +
      'default output: bench/data/docker-host-1m.pcap for 1,000,000 packets, else bench/data/docker-host-<N>.pcap\n');
    process.exit(0);
  }
  const packets = arg('--packets', 1_000_000);
  const outIdx = process.argv.indexOf('--out');
  const name = packets === 1_000_000 ? 'docker-host-1m.pcap' : `docker-host-${packets}.pcap`;
  const out = outIdx >= 0 ? process.argv[outIdx + 1]! : path.join(DATA_DIR, name);
  const r = generateDockerHost({ packets, flows: arg('--flows', 2000), seed: arg('--seed', 1), gapNs: arg('--gap-ns', 2500), out });
  process.stdout.write(`wrote ${r.packets} packets of ${r.connections} connections to ${out}\n`);
}

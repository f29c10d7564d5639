// bench/nat: what does NAT cost per packet on one core? (1) nf_nat_packet rewriting an established TCP
// segment (SNAT there and back, so the bytes stay valid), (2) the NAT hook on a packet of an un-NATed
// entry (status check only), (3) a new MASQUERADEd connection end to end on the real conntrack table
// (nf_conntrack_in, both NAT hooks, confirm) against the same without NAT. Variants run interleaved.
// Run: npm run build && node dist/bench/nat.js

import * as os from 'node:os';
import { LinkType } from '../src/capture/types.js';
import { DecodeCounters } from '../src/decode/counters.js';
import { decodeFrame } from '../src/decode/decode.js';
import { PacketMeta } from '../src/decode/meta.js';
import { createConntrack } from '../src/netfilter/conntrack/conntrack.js';
import { Tuple } from '../src/netfilter/conntrack/tuple.js';
import { Nat } from '../src/netfilter/nat/nat.js';
import { natRangeFrom } from '../src/netfilter/nat/range.js';
import { CtInfo, Hook, Skb, Verdict } from '../src/netfilter/skb.js';
import { putBe16, putBe32 } from '../src/util/bytes.js';
import { Prng } from '../src/util/prng.js';
import { ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../src/wire/checksum.js';

const EXT = 0xc6336401; // 198.51.100.1
const host = { masqueradeSource: () => EXT, redirectAddress: () => 0 };

/** A TCP segment (20-byte IP header, 32-byte TCP header, `payload` bytes) with correct checksums. */
function segment(src: number, dst: number, sport: number, dport: number, flags: number, payload: number): Uint8Array {
  const len = 20 + 32 + payload;
  const b = new Uint8Array(len);
  b[0] = 0x45;
  putBe16(b, 2, len);
  b[6] = 0x40;
  b[8] = 64;
  b[9] = 6;
  putBe32(b, 12, src);
  putBe32(b, 16, dst);
  putBe16(b, 20, sport);
  putBe16(b, 22, dport);
  putBe32(b, 24, 1000);
  b[32] = 8 << 4;
  b[33] = flags;
  putBe16(b, 34, 65535);
  for (let i = 52; i < len; i++) b[i] = i & 0xff;
  putBe16(b, 10, ipv4HeaderChecksum(b, 0, 20));
  putBe16(b, 36, l4Checksum(b, 20, len - 20, 16, pseudoHeaderSum(src, dst, 6, len - 20)));
  return b;
}

interface Variant {
  name: string;
  /** Run n operations; returns a value to keep the work alive. */
  run(n: number): number;
}

/** Open one connection through NAT on `ct` (first packet `bytes`, POST_ROUTING rule `post`); returns its entry. */
function open(ct: ReturnType<typeof createConntrack>, nat: Nat, bytes: Uint8Array, post: (s: Skb) => number): number {
  const meta = new PacketMeta();
  decodeFrame(meta, bytes, 0, bytes.length, bytes.length, LinkType.IPV4, new DecodeCounters());
  const skb = new Skb(meta);
  skb.outIf = 1;
  ct.in(skb, Hook.PRE_ROUTING);
  nat.hookFn(skb, Hook.PRE_ROUTING, null);
  nat.hookFn(skb, Hook.POST_ROUTING, { runNatTable: post });
  ct.confirm(skb, 1);
  return skb.ct;
}

function rewriteVariant(): Variant {
  const ct = createConntrack({});
  const nat = new Nat({ conntrack: ct, prng: new Prng(1), host });
  // c1 MASQUERADEs 172.17.0.2:40000 to EXT:p; c2 SNATs EXT:p back to 172.17.0.2:40000. Alternating the two
  // on one buffer keeps it valid while every operation is a full rewrite (address, port, IP and TCP csum).
  const c1 = open(ct, nat, segment(0xac110002, 0xc633640a, 40000, 80, 0x02, 0), (s) => nat.masquerade(s, natRangeFrom({ randomFully: true }), 0));
  const mapped = ct.getTuple(c1, 1, new Tuple()).dport;
  const back = natRangeFrom({ minAddr: 0xac110002, minPort: 40000 });
  const c2 = open(ct, nat, segment(EXT, 0xc633640a, mapped, 80, 0x02, 0), (s) => nat.snat(s, back));
  const data = segment(0xac110002, 0xc633640a, 40000, 80, 0x18, 1400);
  const m = new PacketMeta();
  decodeFrame(m, data, 0, data.length, data.length, LinkType.IPV4, new DecodeCounters());
  const there = new Skb(m);
  there.ct = c1;
  there.ctInfo = CtInfo.ESTABLISHED;
  const again = new Skb(m);
  again.ct = c2;
  again.ctInfo = CtInfo.ESTABLISHED;
  return {
    name: 'nf_nat_packet SNAT rewrite (1452-byte TCP)',
    run(n: number): number {
      let v = 0;
      for (let i = 0; i < n; i += 2) v += nat.packet(there, Hook.POST_ROUTING) + nat.packet(again, Hook.POST_ROUTING);
      return v;
    },
  };
}

function noNatVariant(): Variant {
  const ct = createConntrack({});
  const nat = new Nat({ conntrack: ct, prng: new Prng(1), host });
  const counters = new DecodeCounters();
  const bytes = segment(0x0a000102, 0x0a000202, 40000, 80, 0x02, 0);
  const meta = new PacketMeta();
  decodeFrame(meta, bytes, 0, bytes.length, bytes.length, LinkType.IPV4, counters);
  const skb = new Skb(meta);
  ct.in(skb, Hook.PRE_ROUTING);
  nat.hookFn(skb, Hook.PRE_ROUTING, null);
  nat.hookFn(skb, Hook.POST_ROUTING, null);
  ct.confirm(skb, 1);
  const est = new Skb(meta);
  est.ct = skb.ct;
  est.ctInfo = CtInfo.ESTABLISHED;
  return {
    name: 'NAT hooks, un-NATed entry (PRE+POST)',
    run(n: number): number {
      let v = 0;
      for (let i = 0; i < n; i++) v += nat.hookFn(est, Hook.PRE_ROUTING, null) + nat.hookFn(est, Hook.POST_ROUTING, null);
      return v;
    },
  };
}

function newFlowVariant(withNat: boolean): Variant {
  const ct = createConntrack({ sysctls: { conntrackMax: 1 << 20, conntrackBuckets: 1 << 18 } });
  const nat = new Nat({ conntrack: ct, prng: new Prng(7).fork('nat'), host });
  const counters = new DecodeCounters();
  const range = natRangeFrom({});
  const runner = { runNatTable: (s: Skb) => nat.masquerade(s, range, 0) };
  const bytes = segment(0xac110002, 0xc633640a, 1024, 80, 0x02, 0);
  const meta = new PacketMeta();
  const skb = new Skb(meta);
  skb.outIf = 1;
  let k = 0;
  let now = 0;
  return {
    name: withNat ? 'new connection: conntrack + MASQUERADE' : 'new connection: conntrack + null bindings',
    run(n: number): number {
      let v = 0;
      for (let i = 0; i < n; i++) {
        // a fresh 5-tuple per connection, spread over 250 servers x 256 ports so that mapped tuples rarely
        // clash (the common case: the source port is kept after one uniqueness probe)
        k++;
        const src = 0xac110000 + (k & 0xffff);
        const dst = 0xc6336400 + 1 + (k % 250);
        putBe32(bytes, 12, src);
        putBe32(bytes, 16, dst);
        putBe16(bytes, 20, 1024 + ((k * 7919) & 0xefff));
        putBe16(bytes, 22, 80 + ((k >>> 8) & 0xff));
        putBe16(bytes, 10, ipv4HeaderChecksum(bytes, 0, 20));
        putBe16(bytes, 36, l4Checksum(bytes, 20, bytes.length - 20, 16, pseudoHeaderSum(src, dst, 6, bytes.length - 20)));
        decodeFrame(meta, bytes, 0, bytes.length, bytes.length, LinkType.IPV4, counters);
        skb.ct = -1;
        skb.ctInfo = 0;
        skb.nowNs = now += 1_000_000; // 1 ms apart: SYN_SENT entries (120 s) stay bounded
        ct.in(skb, Hook.PRE_ROUTING);
        nat.hookFn(skb, Hook.PRE_ROUTING, null);
        v += nat.hookFn(skb, Hook.POST_ROUTING, withNat ? runner : null);
        v += ct.confirm(skb, now + 1) === Verdict.ACCEPT ? 1 : 0;
      }
      return v;
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function main(): void {
  const variants = [rewriteVariant(), noNatVariant(), newFlowVariant(false), newFlowVariant(true)];
  const batch = [200_000, 200_000, 20_000, 20_000];
  const rounds = 15;
  const samples: number[][] = variants.map(() => []);
  let sink = 0;
  for (let r = 0; r < rounds + 2; r++) {
    for (let k = 0; k < variants.length; k++) {
      const t0 = process.hrtime.bigint();
      sink += variants[k]!.run(batch[k]!);
      const ns = Number(process.hrtime.bigint() - t0);
      if (r >= 2) samples[k]!.push(ns / batch[k]!);
    }
  }
  console.log(`bench/nat — node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores; ${rounds} interleaved rounds`);
  for (let k = 0; k < variants.length; k++) {
    const s = samples[k]!.sort((a, b) => a - b);
    const p50 = percentile(s, 50);
    console.log(
      `${variants[k]!.name.padEnd(44)} p50 ${p50.toFixed(1).padStart(7)} ns/op  p99 ${percentile(s, 99).toFixed(1).padStart(7)} ns/op  ${(1e3 / p50).toFixed(2)} M op/s`,
    );
  }
  // allocation check on the per-packet paths: heap growth over a million rewrites and hook passes
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  const h0 = process.memoryUsage().heapUsed;
  sink += variants[0]!.run(1_000_000) + variants[1]!.run(1_000_000);
  const h1 = process.memoryUsage().heapUsed;
  console.log(`heap growth over 1M rewrites + 1M hook passes: ${((h1 - h0) / 1024).toFixed(1)} KiB${gc ? '' : ' (run with --expose-gc for a clean baseline)'} (sink ${sink & 1})`);
}

main();

// Community IDs against the values Zeek, Suricata and Wireshark publish: Zeek's per-connection baselines
// for its Community ID traces (seed 0) and its hand-built vectors (seeds 0 and 1), suricata-verify's
// expected EVE records (the seed read from each test's suricata.yaml), and tshark's own computation.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeShared, CORPUS_DIR } from '../helpers/shared.js';
import { openCapture } from '../../src/capture/open.js';
import { decodeFrame, Verify } from '../../src/decode/decode.js';
import { DecodeCounters } from '../../src/decode/counters.js';
import { L3, PacketMeta } from '../../src/decode/meta.js';
import { communityIdOf, communityIdV1 } from '../../src/flow/community-id.js';
import { formatIpv4, parseIpv4 } from '../../src/util/ipv4.js';

const ZEEK = path.join(CORPUS_DIR, 'zeek', 'communityid');
const SURI = path.join(CORPUS_DIR, 'suricata-verify');

interface PacketId {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  id: string | null;
}

function expanded6(b: Uint8Array, off: number): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[off + i]! << 8) | b[off + i + 1]!).toString(16).padStart(4, '0'));
  return g.join(':');
}

/** Community ID (and endpoints) of every packet of a capture. */
function packetIds(file: string, seed: number): PacketId[] {
  const cur = openCapture([file]);
  const m = new PacketMeta();
  const c = new DecodeCounters();
  const out: PacketId[] = [];
  try {
    for (let r = cur.next(); r !== null; r = cur.next()) {
      decodeFrame(m, r.data, r.offset, r.caplen, r.origLen, r.linkType, c, Verify.NONE);
      const v6 = m.l3 === L3.IPV6;
      out.push({
        src: v6 ? expanded6(m.data, m.l3Off + 8) : formatIpv4(m.saddr),
        dst: v6 ? expanded6(m.data, m.l3Off + 24) : formatIpv4(m.daddr),
        sport: m.sport,
        dport: m.dport,
        id: communityIdOf(m, seed),
      });
    }
  } finally {
    cur.close();
  }
  return out;
}

/** 16 bytes of an IPv6 address in any textual form Zeek prints ("fe80::1", "3ffe:501:0:1802:..."). */
function parse6(s: string): Uint8Array {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >>> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

function addr(s: string): Uint8Array {
  if (s.includes(':')) return parse6(s);
  const v = parseIpv4(s);
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

describeShared('Community ID: Zeek baselines', () => {
  const pcaps = fs.readdirSync(ZEEK).filter((f) => f.endsWith('.pcap') && f !== 'sctp.pcap');

  it.each(pcaps)('%s: the set of IDs equals the baseline (seed 0)', (name) => {
    const expected = new Set<string>();
    for (const line of fs.readFileSync(path.join(ZEEK, `${name}.out`), 'utf8').split('\n')) {
      const m = /, (1:\S+)$/.exec(line);
      if (m) expected.add(m[1]!);
    }
    const got = new Set(packetIds(path.join(ZEEK, name), 0).flatMap((p) => (p.id === null ? [] : [p.id])));
    expect(got).toEqual(expected);
    if (name === 'arp.pcap') expect(got.size).toBe(0);
  });

  it('sctp.pcap: Zeek hashes SCTP with ports 0 (no SCTP ports in its conn_id); with the real ports we equal tshark', () => {
    const base = fs.readFileSync(path.join(ZEEK, 'sctp.pcap.out'), 'utf8');
    const m = /orig_h=([\d.]+), orig_p=0\/unknown, resp_h=([\d.]+), resp_p=0\/unknown, proto=132, ctx=\[\]\], (1:\S+)/.exec(base);
    expect(m).not.toBeNull();
    expect(communityIdV1(addr(m![1]!), addr(m![2]!), 132, 0, 0, 0)).toBe(m![3]);
    const ts = spawnSync('tshark', ['--enable-protocol', 'communityid', '-r', path.join(ZEEK, 'sctp.pcap'), '-T', 'fields', '-e', 'communityid'], { encoding: 'utf8' });
    expect(ts.status).toBe(0);
    const tsharkIds = new Set(ts.stdout.split('\n').filter((l) => l.startsWith('1:')));
    expect(tsharkIds.size).toBe(1);
    const ours = new Set(packetIds(path.join(ZEEK, 'sctp.pcap'), 0).flatMap((p) => (p.id === null ? [] : [p.id])));
    expect(ours).toEqual(tsharkIds);
  });

  it('community_id_v1-vectors.out: every vector for seeds 0 and 1', () => {
    const text = fs.readFileSync(path.join(ZEEK, 'community_id_v1-vectors.out'), 'utf8');
    const re = /expected '([^']*)', got '[^']*' \(\[orig_h=([^,]+), orig_p=(\d+)\/(\w+), resp_h=([^,]+), resp_p=(\d+)\/\w+, proto=(\d+), ctx=\[\]\], seed=(\d+)\)/g;
    let n = 0;
    for (const m of text.matchAll(re)) {
      const [, want, oh, op, kind, rh, rp, proto, seed] = m;
      const v6 = oh!.includes(':');
      // Zeek's "icmp" transport covers ICMP and ICMPv6 (by address family); "unknown" carries the number
      const p = kind === 'tcp' ? 6 : kind === 'udp' ? 17 : kind === 'icmp' ? (v6 ? 58 : 1) : Number(proto);
      expect(communityIdV1(addr(oh!), addr(rh!), p, Number(op), Number(rp), Number(seed))).toBe(want);
      n++;
    }
    expect(n).toBe(12);
  });
});

interface SuriCheck {
  id: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

describeShared('Community ID: suricata-verify expectations', () => {
  const tests = ['community-id-ipv4', 'community-id-ipv6', 'community-id-sameip'];
  it.each(tests)('%s', (t) => {
    const seedMatch = /community-id-seed:\s*(\d+)/.exec(fs.readFileSync(path.join(SURI, t, 'suricata.yaml'), 'utf8'));
    expect(seedMatch).not.toBeNull();
    const seed = Number(seedMatch![1]);
    const yaml = fs.readFileSync(path.join(SURI, t, 'test.yaml'), 'utf8');
    const checks: SuriCheck[] = [];
    for (const block of yaml.split('- filter:').slice(1)) {
      const get = (k: string): string | undefined => new RegExp(`\\n\\s+${k.replace('.', '\\.')}: (\\S+)`).exec(block)?.[1];
      const id = get('community_id');
      if (id === undefined) continue;
      checks.push({ id, src: get('src_ip')!, dst: get('dest_ip')!, sport: Number(get('src_port')), dport: Number(get('dest_port')) });
    }
    expect(checks.length).toBeGreaterThan(0);
    const packets = packetIds(path.join(SURI, t, 'input.pcap'), seed);
    for (const ck of checks) {
      const both = packets.filter(
        (p) => (p.src === ck.src && p.dst === ck.dst && p.sport === ck.sport && p.dport === ck.dport) || (p.src === ck.dst && p.dst === ck.src && p.sport === ck.dport && p.dport === ck.sport),
      );
      expect(both.length).toBeGreaterThan(1);
      for (const p of both) expect(p.id).toBe(ck.id);
    }
  });
});

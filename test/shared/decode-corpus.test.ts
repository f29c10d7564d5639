// The decoder on the public corpus: every capture capinfos accepts decodes without an exception and with
// its packet count; checksum flags agree with tshark's validation on zeek/chksums; and the truncated
// traces raise the events that correspond to the weirds Zeek reports for them (zeek/trunc/expected-weirds.tsv).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeShared, CORPUS_DIR } from '../helpers/shared.js';
import { openCapture } from '../../src/capture/open.js';
import { decodeFrame, Verify } from '../../src/decode/decode.js';
import { DecodeCounter, DecodeCounters } from '../../src/decode/counters.js';
import { Csum, L3, PacketMeta } from '../../src/decode/meta.js';
import { DecodeEvent, eventName } from '../../src/decode/events.js';

interface IndexEntry {
  path: string;
  kind: string;
  packets?: number;
  capinfos?: string;
}

interface Decoded {
  csum: number;
  event: number;
  eventAt: number;
  l3: number;
  l3Off: number;
  l4Off: number;
  ipHdrLen: number;
}

/** Decode every record of a file; per packet, the facts the tests compare. */
function decodeAll(file: string, counters = new DecodeCounters()): Decoded[] {
  const cur = openCapture([file]);
  const m = new PacketMeta();
  const out: Decoded[] = [];
  try {
    for (let r = cur.next(); r !== null; r = cur.next()) {
      decodeFrame(m, r.data, r.offset, r.caplen, r.origLen, r.linkType, counters, Verify.ALL);
      const rel = (x: number): number => (x < 0 ? x : x - m.frameOff);
      out.push({ csum: m.csum, event: m.event, eventAt: rel(m.eventOffset), l3: m.l3, l3Off: rel(m.l3Off), l4Off: rel(m.l4Off), ipHdrLen: m.ipHdrLen });
    }
  } finally {
    cur.close();
  }
  return out;
}

describeShared('decode over the whole corpus', () => {
  const index = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, 'index.json'), 'utf8')) as { files: IndexEntry[] };
  const captures = index.files.filter((f) => f.kind === 'capture' && f.capinfos === 'ok');

  it('covers a real number of captures', () => {
    expect(captures.length).toBeGreaterThan(100);
  });

  it.each(captures.map((f) => [f.path, f.packets!] as const))('%s: %i packets, no exception, consistent counters', (rel, packets) => {
    const c = new DecodeCounters();
    const pk = decodeAll(path.join(CORPUS_DIR, rel), c);
    expect(pk.length).toBe(packets);
    expect(c.get(DecodeCounter.PACKETS)).toBe(packets);
    const l3 = [DecodeCounter.L3_NONE, DecodeCounter.L3_IPV4, DecodeCounter.L3_IPV6, DecodeCounter.L3_ARP, DecodeCounter.L3_OTHER].reduce((a, i) => a + c.get(i), 0);
    expect(l3).toBe(packets);
    expect(c.get(DecodeCounter.PACKETS_WITH_EVENTS)).toBe(pk.filter((p) => p.event !== 0).length);
  });
});

/** tshark's checksum status fields: 0 bad, 1 good, 2 unverified, 3 not present (UDP 0). */
function tsharkStatus(file: string): Array<{ ip: string; l4: string }> {
  const r = spawnSync(
    'tshark',
    [
      '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
      '-r', file, '-T', 'fields', '-E', 'separator=|',
      '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'udp.checksum.status', '-e', 'icmp.checksum.status', '-e', 'icmpv6.checksum.status',
    ],
    { encoding: 'utf8' },
  );
  expect(r.status).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => {
      // ICMP errors list the quoted header's status after the outer one: the first value is ours to compare
      const [ip, tcp, udp, icmp, icmp6] = line.split('|').map((f) => f.split(',')[0] ?? '');
      return { ip: ip!, l4: tcp || udp || icmp || icmp6 || '' };
    });
}

describeShared('checksum flags agree with tshark (zeek/chksums)', () => {
  const dir = path.join(CORPUS_DIR, 'zeek', 'chksums');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.pcap'));

  it.each(files)('%s', (name) => {
    const file = path.join(dir, name);
    const ours = decodeAll(file);
    const theirs = tsharkStatus(file);
    expect(ours.length).toBe(theirs.length);
    ours.forEach((p, i) => {
      const t = theirs[i]!;
      if (t.ip === '0' || t.ip === '1') {
        expect(p.csum & Csum.IPV4_CHECKED).toBe(Csum.IPV4_CHECKED);
        expect((p.csum & Csum.IPV4_BAD) !== 0).toBe(t.ip === '0');
      } else {
        expect(p.csum & Csum.IPV4_CHECKED).toBe(0);
      }
      if ((p.csum & Csum.L4_PARTIAL) !== 0) {
        // left for the NIC (only the pseudo-header sum): tshark calls it bad, or unverified when cut short
        expect(['0', '2']).toContain(t.l4);
        expect(p.csum & (Csum.L4_CHECKED | Csum.L4_BAD)).toBe(0);
      } else if (t.l4 === '0' || t.l4 === '1') {
        expect(p.csum & Csum.L4_CHECKED).toBe(Csum.L4_CHECKED);
        expect((p.csum & Csum.L4_BAD) !== 0).toBe(t.l4 === '0');
      } else if (t.l4 === '3') {
        expect(p.csum & Csum.L4_NONE).toBe(Csum.L4_NONE);
      } else {
        expect(p.csum & (Csum.L4_CHECKED | Csum.L4_BAD)).toBe(0);
      }
    });
  });

  it('localhost-bad-chksum.pcap: frames 1, 3, 4, 7, 8, 10 do not verify (MANIFEST): all sent by the capturing host with TX offload', () => {
    // each of them holds exactly the folded pseudo-header sum (CHECKSUM_PARTIAL, left for the NIC), as tshark
    // hints with "maybe caused by TCP checksum offload": counted as partial, not as errors
    const pk = decodeAll(path.join(dir, 'localhost-bad-chksum.pcap'));
    const frames = (flag: number): number[] => pk.map((p, i) => ((p.csum & flag) !== 0 ? i + 1 : 0)).filter((n) => n > 0);
    expect(frames(Csum.L4_PARTIAL)).toEqual([1, 3, 4, 7, 8, 10]);
    expect(frames(Csum.L4_BAD)).toEqual([]);
    expect(frames(Csum.L4_CHECKED)).toEqual([2, 5, 6, 9]);
  });
});

type Where = 'frame' | 'l3' | 'inside-l3' | 'l4' | 'none';

/** Zeek weird (expected-weirds.tsv) → the event nfreplay raises, and where. */
const TRUNC: Array<[string, string, number, Where, number]> = [
  ['ip4-trunc.pcap', 'truncated_IP', DecodeEvent.SNAPPED, 'l3', 1],
  ['ip6-trunc.pcap', 'truncated_IP', DecodeEvent.SNAPPED, 'l3', 1],
  ['ip6-ext-trunc.pcap', 'truncated_IP_len', DecodeEvent.IPV6_TRUNC, 'inside-l3', 1],
  ['icmp-payload-trunc.pcap', '(none)', 0, 'none', 0],
  ['icmp-header-trunc.pcap', 'internally_truncated_header', DecodeEvent.SNAPPED, 'l4', 2],
  ['trunc-hdr.pcap', 'truncated_ethernet_frame', DecodeEvent.SNAPPED, 'frame', 1],
  ['ipv4-truncated-broken-header.pcap', 'invalid_IP_header_size', DecodeEvent.IPV4_IPLEN_SMALLER_THAN_HLEN, 'inside-l3', 1],
  ['ipv4-internally-truncated-header.pcap', 'internally_truncated_header', DecodeEvent.SNAPPED, 'inside-l3', 1],
  ['ip-discarder-truncated-tcp-oob.pcapng', 'internally_truncated_header', DecodeEvent.SNAPPED, 'l4', 1],
];

describeShared('truncated traces raise the events matching Zeek weirds (zeek/trunc)', () => {
  const dir = path.join(CORPUS_DIR, 'zeek', 'trunc');
  const tsv = fs.readFileSync(path.join(dir, 'expected-weirds.tsv'), 'utf8');

  it.each(TRUNC)('%s (%s)', (name, weird, event, where, count) => {
    expect(tsv).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}\\t${weird.replace(/[()]/g, '\\$&')}\\t`, 'm'));
    const pk = decodeAll(path.join(dir, name));
    const hits = pk.filter((p) => p.event === event && event !== 0);
    expect(hits.length, `${eventName(event)} count`).toBe(count);
    if (event === 0) expect(pk.every((p) => p.event === 0)).toBe(true);
    for (const p of hits) {
      if (where === 'frame') expect(p.eventAt).toBe(0);
      if (where === 'l3') expect(p.eventAt).toBe(p.l3Off);
      if (where === 'inside-l3') expect(p.eventAt).toBeGreaterThan(p.l3Off);
      if (where === 'l4') expect(p.eventAt).toBe(p.l3Off + p.ipHdrLen);
    }
    if (name === 'icmp-payload-trunc.pcap') expect(pk.every((p) => (p.csum & Csum.L4_UNVERIFIABLE) !== 0)).toBe(true);
  });

  it('mpls-6in6-6in6-4in6-trunc.pcap: MPLS is not decoded (counted as another network protocol)', () => {
    const pk = decodeAll(path.join(dir, 'mpls-6in6-6in6-4in6-trunc.pcap'));
    expect(pk.map((p) => [p.l3, p.event])).toEqual([[L3.OTHER, 0]]);
  });
});

// The trackers against the kernel, conntrack alone (no rules, no NAT code). Scenario 03 (container →
// container on one bridge, tracked through br_netfilter, no NAT): every IPv4 packet conntrack saw crosses
// vethc1 unchanged, so feeding host-vethc1.pcap in time order must reproduce the kernel's conntrack -L
// lines, its -S counters and the NEW vs RELATED/ESTABLISHED split the FORWARD rules counted. Scenarios 01
// and 05 (MASQUERADE): the frames each interface received (before any hook) are fed in time order, and the
// NAT binding of each new flow is taken from the kernel's own table; states, timeouts, flags and counters
// are ours and must print exactly the kernel's lines at one common dump time.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { DecodeCounters } from '../../src/decode/counters.js';
import { decodeFrame } from '../../src/decode/decode.js';
import { L3, PacketMeta } from '../../src/decode/meta.js';
import { createConntrack } from '../../src/netfilter/conntrack/conntrack.js';
import { Tuple } from '../../src/netfilter/conntrack/tuple.js';
import { CtInfo, Hook, NONE, Skb, Verdict } from '../../src/netfilter/skb.js';
import { parseIpv4 } from '../../src/util/ipv4.js';
import { formatConntrackList, formatConntrackStats } from '../../src/report/conntrack-text.js';
import { ORACLE_DIR, describeShared } from '../helpers/shared.js';

interface Frame {
  ns: number;
  bytes: Uint8Array;
  linkType: number;
}

/** Classic pcap (either byte order, µs or ns timestamps) → frames. */
function readPcap(file: string): Frame[] {
  const b = fs.readFileSync(file);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const linkType = dv.getUint32(20, le);
  const frames: Frame[] = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    frames.push({ ns: sec * 1e9 + (nano ? frac : frac * 1000), bytes: new Uint8Array(b.buffer, b.byteOffset + off + 16, incl), linkType });
    off += 16 + incl;
  }
  return frames;
}

/** [packets, bytes] of the iptables-save -c rule line that ends with `rule`. */
function ruleCounter(file: string, rule: string): [number, number] {
  const line = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.endsWith(rule));
  const m = /^\[(\d+):(\d+)\]/.exec(line ?? '');
  if (!m) throw new Error(`no counter line for ${rule}`);
  return [Number(m[1]), Number(m[2])];
}

describeShared('conntrack against the kernel: 03 container to container on one bridge', () => {
  const dir = path.join(ORACLE_DIR, 'captures', '03-container-to-container-same-bridge');

  it('reproduces conntrack -L, conntrack -S and the ctstate split of the FORWARD counters', () => {
    const frames = readPcap(path.join(dir, 'host-vethc1.pcap'));
    const t0 = frames[0]!.ns;
    const ct = createConntrack({ sysctls: { conntrackAcct: 1 } });
    const counters = new DecodeCounters();
    let fresh = [0, 0];
    let known = [0, 0];
    let last = 0;
    for (const f of frames) {
      const m = new PacketMeta();
      decodeFrame(m, f.bytes, 0, f.bytes.length, f.bytes.length, f.linkType, counters);
      if (m.l3 !== L3.IPV4) continue;
      const skb = new Skb(m);
      skb.nowNs = f.ns - t0;
      last = skb.nowNs;
      // bridged: br_netfilter PRE_ROUTING runs conntrack, POST_ROUTING confirms
      expect(ct.in(skb, Hook.PRE_ROUTING)).toBe(Verdict.ACCEPT);
      expect(skb.ct).not.toBe(NONE);
      if (skb.ctInfo === CtInfo.NEW) fresh = [fresh[0]! + 1, fresh[1]! + m.ipTotalLen];
      else known = [known[0]! + 1, known[1]! + m.ipTotalLen];
      expect(ct.confirm(skb, skb.nowNs)).toBe(Verdict.ACCEPT);
    }
    const ipt = path.join(dir, 'iptables-save-c.txt');
    expect(fresh).toEqual(ruleCounter(ipt, '-A FORWARD -i docker0 -o docker0 -j ACCEPT'));
    expect(known).toEqual(ruleCounter(ipt, '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'));

    // conntrack -L was taken right after the traffic: half a second after the last packet
    const kernel = fs.readFileSync(path.join(dir, 'conntrack-L.txt'), 'utf8').split('\n').filter((l) => l !== '').sort();
    const ours = formatConntrackList(ct.dump(last + 0.5e9), { acct: true }).split('\n').filter((l) => l !== '').sort();
    expect(ours).toEqual(kernel);

    // no statistics move for this traffic (the recording's delta is all zero)
    const delta = JSON.parse(fs.readFileSync(path.join(dir, 'conntrack-S-delta.json'), 'utf8')) as { delta: Record<string, number> };
    const zero = `cpu=0   \t${Object.keys(delta.delta)
      .map((k) => `${k}=${delta.delta[k]}`)
      .join(' ')} \n`;
    expect(formatConntrackStats(ct)).toBe(zero);
  });
});

/** Frames received by the host (source MAC of a container, or of or-ext on eth0): they precede every hook. */
function receivedFrames(dir: string, files: string[]): Frame[] {
  const all: Frame[] = [];
  for (const f of files) {
    for (const fr of readPcap(path.join(dir, f))) {
      const src = Array.from(fr.bytes.subarray(6, 12), (x) => x.toString(16).padStart(2, '0')).join(':');
      if (src.startsWith('02:42:ac:') || src === '02:00:c6:33:64:0a') all.push(fr);
    }
  }
  return all.sort((a, b) => a.ns - b.ns);
}

/** ORIGINAL → REPLY tuples of the kernel's table (the NAT bindings it chose). */
function kernelBindings(lines: string[]): Map<string, Tuple> {
  const map = new Map<string, Tuple>();
  for (const l of lines) {
    const kv = [...l.matchAll(/(src|dst|sport|dport)=(\S+)/g)].map((m) => m[2]!);
    const proto = / tcp /.test(l) ? 6 : 17;
    map.set(`${proto} ${kv.slice(0, 4).join(' ')}`, new Tuple(parseIpv4(kv[4]!), parseIpv4(kv[5]!), Number(kv[6]), Number(kv[7]), proto));
  }
  return map;
}

describeShared('conntrack against the kernel: MASQUERADEd TCP and UDP flows (01, 05)', () => {
  const scenarios: [string, string[]][] = [
    ['01-tcp-egress-masq', ['host-vethc1.pcap', 'host-vethc2.pcap', 'host-vethc4.pcap', 'host-eth0.pcap']],
    ['05-same-sport-masq-default', ['host-vethc1.pcap', 'host-vethc2.pcap', 'host-vethc3.pcap', 'host-vethc4.pcap', 'host-eth0.pcap']],
    ['05-same-sport-masq-random', ['host-vethc1.pcap', 'host-vethc2.pcap', 'host-vethc3.pcap', 'host-vethc4.pcap', 'host-eth0.pcap']],
    ['05-same-sport-masq-random-fully', ['host-vethc1.pcap', 'host-vethc2.pcap', 'host-vethc3.pcap', 'host-vethc4.pcap', 'host-eth0.pcap']],
  ];
  for (const [name, files] of scenarios) {
    it(`${name}: conntrack -L at one dump time equals the kernel's`, () => {
      const dir = path.join(ORACLE_DIR, 'captures', name);
      const kernel = fs.readFileSync(path.join(dir, 'conntrack-L.txt'), 'utf8').split('\n').filter((l) => l !== '').sort();
      const bindings = kernelBindings(kernel);
      const frames = receivedFrames(dir, files);
      const t0 = frames[0]!.ns;
      const ct = createConntrack({ sysctls: { conntrackAcct: 1 } });
      const counters = new DecodeCounters();
      const orig = new Tuple();
      let last = 0;
      let bound = 0;
      for (const f of frames) {
        const m = new PacketMeta();
        decodeFrame(m, f.bytes, 0, f.bytes.length, f.bytes.length, f.linkType, counters);
        if (m.l3 !== L3.IPV4) continue;
        const skb = new Skb(m);
        skb.nowNs = f.ns - t0;
        last = skb.nowNs;
        expect(ct.in(skb, Hook.PRE_ROUTING)).toBe(Verdict.ACCEPT);
        expect(skb.ct, `untracked packet at ${skb.nowNs} ns`).not.toBe(NONE);
        if (!ct.isConfirmed(skb.ct)) {
          ct.getTuple(skb.ct, 0, orig);
          const key = `${orig.proto} ${[orig.src, orig.dst].map((a) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`).join(' ')} ${orig.sport} ${orig.dport}`;
          const reply = bindings.get(key);
          if (reply !== undefined) {
            ct.setReplyTuple(skb.ct, reply);
            bound++;
          }
        }
        expect(ct.confirm(skb, skb.nowNs)).toBe(Verdict.ACCEPT);
      }
      expect(bound).toBe(kernel.length);
      expect([ct.stat(0, 1), ct.stat(0, 3), ct.stat(0, 6)]).toEqual([0, 0, 0]); // invalid, insert_failed, error
      // the kernel listed its table within a second of the last packet: some dump time there must match
      const at = (d: number) => formatConntrackList(ct.dump(last + d), { acct: true }).split('\n').filter((l) => l !== '').sort();
      let match = -1;
      for (let d = 0; d <= 1e9 && match < 0; d += 1e6) if (JSON.stringify(at(d)) === JSON.stringify(kernel)) match = d;
      if (match < 0) expect(at(0.5e9)).toEqual(kernel);
      expect(match).toBeGreaterThanOrEqual(0);
    });
  }
});

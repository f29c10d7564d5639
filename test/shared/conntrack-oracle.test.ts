// The trackers against the kernel: scenario 03 (container → container on one bridge, tracked through
// br_netfilter, no NAT) replayed through conntrack alone. Every IPv4 packet conntrack saw crosses vethc1
// (RX before the hooks, TX after them, unchanged because nothing is NATed), so feeding host-vethc1.pcap in
// time order must reproduce the kernel's conntrack -L lines, its -S counters, and the NEW vs
// RELATED/ESTABLISHED split that the FORWARD rules counted in iptables-save -c.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { DecodeCounters } from '../../src/decode/counters.js';
import { decodeFrame } from '../../src/decode/decode.js';
import { L3, PacketMeta } from '../../src/decode/meta.js';
import { createConntrack } from '../../src/netfilter/conntrack/conntrack.js';
import { CtInfo, Hook, NONE, Skb, Verdict } from '../../src/netfilter/skb.js';
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

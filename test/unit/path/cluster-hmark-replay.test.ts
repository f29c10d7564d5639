// -m cluster, HMARK (packet and conntrack tuples), -m devgroup, -m helper, AUDIT, LED and IDLETIMER through the
// real datapath on the bundled Docker host, whose snapshot here puts docker0 in device group 3, eth0 in 7 and
// vethc1 in 5. Container c1's SYNs to ext:80 are forwarded and masqueraded; which node -m cluster gives them
// and which marks HMARK sets are computed in this file from the kernel's formulas, and -m mark rule counters
// show what the datapath did. Routed traffic from a bridge port enters IPv4 with the bridge as its device.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { putSll2Header } from '../../helpers/craft-sll2.js';
import { describe, expect, it } from 'vitest';
import { replayOptions, runReplay } from '../../../src/engine/replay.js';
import type { EngineKind } from '../../../src/netfilter/rules/engine.js';
import { PcapWriter } from '../../../src/capture/pcap-writer.js';
import { LinkType } from '../../../src/capture/types.js';
import { writeTcp } from '../../helpers/ipv4-packets.js';
import { hostWordOfAddress, leWordOfAddress, refJhash1Word, refJhash3Words, refReciprocalScale } from '../rules/jhash-reference.js';

const HOST = path.resolve(__dirname, '..', '..', '..', 'captures', 'docker-host');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-cluster-hmark-'));

const SPORTS = [41000, 41001, 41002];

/** reciprocal_scale(jhash_1word(raw be32 source, 0xdeadbeef), 2): c1's node (0 or 1). */
const NODE = refReciprocalScale(refJhash1Word(leWordOfAddress('172.17.0.2'), 0xdeadbeef), 2);

/** hmark_hash of c1:sport -> ext:80 over TCP, ports swapped larger-first, reciprocal_scale'd into `mod`. */
function hmark(sport: number, rnd: number, mod: number, offset: number): number {
  const a = hostWordOfAddress('172.17.0.2');
  const b = hostWordOfAddress('198.51.100.10');
  const ports = ((sport << 16) | 80) >>> 0;
  return (refReciprocalScale(refJhash3Words(Math.min(a, b), Math.max(a, b), ports, rnd), mod) + offset) >>> 0;
}

const hex = (v: number): string => `0x${v.toString(16)}`;

const MANGLE = [
  '-A PREROUTING -i docker0 -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 0xdeadbeef -j MARK --set-xmark 0x1/0xf',
  '-A PREROUTING -i docker0 -m cluster --cluster-total-nodes 2 --cluster-local-node 2 --cluster-hash-seed 0xdeadbeef -j MARK --set-xmark 0x2/0xf',
  '-A PREROUTING -m devgroup --src-group 0x3',
  '-A PREROUTING -m devgroup --src-group 0x5',
  '-A FORWARD -m mark --mark 0x1/0xf',
  '-A FORWARD -m mark --mark 0x2/0xf',
  '-A FORWARD -p tcp --dport 80 -j HMARK --hmark-tuple src,dst,sport,dport --hmark-mod 16 --hmark-rnd 0x12345678 --hmark-offset 0x100',
  ...SPORTS.map((p) => `-A FORWARD -m mark --mark ${hex(hmark(p, 0x12345678, 16, 0x100))}`),
  '-A FORWARD -p tcp -j HMARK --hmark-tuple ct,src,dst,sport,dport --hmark-mod 7 --hmark-rnd 0x9 --hmark-offset 0x1000',
  ...SPORTS.map((p) => `-A POSTROUTING -m mark --mark ${hex(hmark(p, 9, 7, 0x1000))}`),
  '-A POSTROUTING -m devgroup --dst-group 0x7',
];

const FILTER = [
  '-A FORWARD -m helper --helper ftp -j DROP',
  '-A FORWARD -m helper ! --helper ftp',
  '-A FORWARD -p tcp -j AUDIT --type accept',
  '-A FORWARD -o eth0 -j IDLETIMER --timeout 60 --label nfr-idle',
  '-A FORWARD -j LED --led-trigger-id nfr --led-delay 10',
];

/** The host's rules with MANGLE appended to mangle and FILTER put first in filter FORWARD. */
function rulesFile(): string {
  let text = fs.readFileSync(path.join(HOST, 'rules.v4'), 'utf8');
  const at = text.indexOf('COMMIT');
  text = text.slice(0, at) + MANGLE.join('\n') + '\n' + text.slice(at);
  const fwd = text.indexOf('-A FORWARD', text.indexOf('*filter'));
  text = text.slice(0, fwd) + FILTER.join('\n') + '\n' + text.slice(fwd);
  const file = path.join(tmp, 'rules.v4');
  fs.writeFileSync(file, text);
  return file;
}

/** The host snapshot with device groups: docker0 3, eth0 7 (as a JSON number), vethc1 "5". */
function snapshot(): string {
  const dir = path.join(tmp, 'snap');
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(HOST, 'host-snapshot');
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  const addr = JSON.parse(fs.readFileSync(path.join(dir, 'ip-addr.json'), 'utf8')) as Array<Record<string, unknown>>;
  const groups: Record<string, unknown> = { docker0: '3', eth0: 7, vethc1: '5' };
  for (const e of addr) if (groups[e['ifname'] as string] !== undefined) e['group'] = groups[e['ifname'] as string];
  fs.writeFileSync(path.join(dir, 'ip-addr.json'), JSON.stringify(addr));
  return dir;
}

/** SYNs c1 sends on vethc1 (ifindex 5) to ext:80, one per source port, in one SLL2 capture. */
function capture(): string {
  const file = path.join(tmp, 'syns.pcap');
  const w = new PcapWriter(file, { linkType: LinkType.LINUX_SLL2, nanosecond: true });
  SPORTS.forEach((sport, i) => {
    const b = new Uint8Array(128);
    putSll2Header(b, 5, 3, '02:42:ac:11:00:02');
    const len = writeTcp(b, 20, { flags: 0x02, sport, dport: 80 });
    w.writePacket(b, 0, 20 + len, 20 + len, 1_700_000_000, 1000 * (i + 1));
  });
  w.close();
  return file;
}

describe.each<EngineKind>(['compiled', 'interpreted'])('cluster, HMARK, devgroup and friends in the datapath (%s engine)', (engine) => {
  it('marks and counts as the kernel formulas say', () => {
    const out = fs.mkdtempSync(path.join(tmp, 'out-'));
    const r = runReplay(replayOptions({ captures: [capture()], rulesPath: rulesFile(), snapshotDir: snapshot(), outDir: out }, { engine }));
    expect(r.report.drops.total).toBe(0);
    const saved = fs.readFileSync(path.join(out, 'iptables-save-c.txt'), 'utf8').split('\n');
    const counter = (rule: string): string => {
      const line = saved.find((l) => l.endsWith(rule));
      if (line === undefined) throw new Error(`no rule ${rule}`);
      return /^\[(\d+):\d+\]/.exec(line)![1]!;
    };
    const n = String(SPORTS.length);
    // c1's connections all belong to one node
    expect(counter('-A FORWARD -m mark --mark 0x1/0xf')).toBe(NODE === 0 ? n : '0');
    expect(counter('-A FORWARD -m mark --mark 0x2/0xf')).toBe(NODE === 1 ? n : '0');
    // the bridge (group 3) is the input device, not the port (group 5); eth0 (group 7) the output device
    expect(counter('-A PREROUTING -m devgroup --src-group 0x3')).toBe(n);
    expect(counter('-A PREROUTING -m devgroup --src-group 0x5')).toBe('0');
    expect(counter('-A POSTROUTING -m devgroup --dst-group 0x7')).toBe(n);
    // every connection's packet and conntrack marks, each counted by its own rule (equal marks add up)
    const tally = (marks: number[]): Map<number, number> => marks.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<number, number>());
    const pkt = tally(SPORTS.map((p) => hmark(p, 0x12345678, 16, 0x100)));
    for (const [mark, count] of pkt) expect(counter(`-A FORWARD -m mark --mark ${hex(mark)}`)).toBe(String(count));
    const ct = tally(SPORTS.map((p) => hmark(p, 9, 7, 0x1000)));
    for (const [mark, count] of ct) expect(counter(`-A POSTROUTING -m mark --mark ${hex(mark)}`)).toBe(String(count));
    // no connection has a helper; AUDIT, IDLETIMER and LED let every packet through
    expect(counter('-A FORWARD -m helper --helper ftp -j DROP')).toBe('0');
    expect(counter('-A FORWARD -m helper ! --helper ftp')).toBe(n);
    expect(counter('-A FORWARD -p tcp -j AUDIT --type accept')).toBe(n);
    expect(counter('-A FORWARD -o eth0 -j IDLETIMER --timeout 60 --label nfr-idle')).toBe(n);
    expect(counter('-A FORWARD -j LED --led-trigger-id "nfr" --led-delay 10')).toBe(n);
    expect(fs.existsSync(path.join(out, 'tx', 'eth0.pcap'))).toBe(true);
  });
});

// TCPOPTSTRIP, ECN and CLASSIFY through the real datapath on the bundled Docker host: an ECN-setup SYN from
// container c1 (MSS, SACK-permitted, timestamps, window scale) crosses mangle FORWARD, where SACK-permitted
// and timestamps become NOPs, ECE/CWR are cleared and the IP ECT codepoint is set, then leaves eth0
// masqueraded with its MSS clamped to 1410 and both checksums valid; CLASSIFY counts and changes nothing.
// A segment whose data offset runs past its end is dropped by TCPOPTSTRIP (NF_DROP) in mangle FORWARD.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { putSll2Header } from '../../helpers/craft-sll2.js';
import { describe, expect, it } from 'vitest';
import { replayOptions, runReplay } from '../../../src/engine/replay.js';
import type { EngineKind } from '../../../src/netfilter/rules/engine.js';
import { PcapWriter } from '../../../src/capture/pcap-writer.js';
import { LinkType } from '../../../src/capture/types.js';
import { openCapture } from '../../../src/capture/open.js';
import { be32 } from '../../../src/util/bytes.js';
import { formatIpv4 } from '../../../src/util/ipv4.js';
import { checksumsValid, writeTcp } from '../../helpers/ipv4-packets.js';
import type { TcpSpec } from '../../helpers/ipv4-packets.js';

const HOST = path.resolve(__dirname, '..', '..', '..', 'captures', 'docker-host');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-hdr-targets-'));

const EXTRA = [
  '-A FORWARD -p tcp -j TCPOPTSTRIP --strip-options sack-permitted,timestamp',
  '-A FORWARD -p tcp -j ECN --ecn-tcp-remove',
  '-A FORWARD -j ECN --ecn-ip-ect 1',
  '-A POSTROUTING -o eth0 -j CLASSIFY --set-class 1:10',
];

/** The host's rules with EXTRA appended to its mangle table. */
function rulesFile(): string {
  const base = fs.readFileSync(path.join(HOST, 'rules.v4'), 'utf8');
  const at = base.indexOf('COMMIT');
  const file = path.join(tmp, 'rules.v4');
  fs.writeFileSync(file, base.slice(0, at) + EXTRA.join('\n') + '\n' + base.slice(at));
  return file;
}

/** One SLL2 capture of IPv4/TCP frames c1 sends on vethc1 (ifindex 5); `patch` may alter each packet. */
function capture(name: string, specs: TcpSpec[], patch: (ip: Uint8Array) => void = () => undefined): string {
  const file = path.join(tmp, name);
  const w = new PcapWriter(file, { linkType: LinkType.LINUX_SLL2, nanosecond: true });
  specs.forEach((s, i) => {
    const b = new Uint8Array(256);
    putSll2Header(b, 5, 3, '02:42:ac:11:00:02');
    const len = writeTcp(b, 20, s);
    patch(b.subarray(20));
    w.writePacket(b, 0, 20 + len, 20 + len, 1_700_000_000, 1000 * (i + 1));
  });
  w.close();
  return file;
}

function replay(cap: string, engine: EngineKind) {
  const out = fs.mkdtempSync(path.join(tmp, 'out-'));
  const r = runReplay(replayOptions({ captures: [cap], rulesPath: rulesFile(), snapshotDir: path.join(HOST, 'host-snapshot'), outDir: out }, { engine }));
  const saved = fs.readFileSync(path.join(out, 'iptables-save-c.txt'), 'utf8');
  const counter = (rule: string): string => {
    const line = saved.split('\n').find((l) => l.endsWith(rule));
    if (line === undefined) throw new Error(`no rule ${rule}`);
    return /^\[(\d+:\d+)\]/.exec(line)![1]!;
  };
  return { r, out, counter };
}

/** The IPv4 packets of tx/<dev>.pcap (Ethernet frames). */
function sent(out: string, dev: string): Uint8Array[] {
  const file = path.join(out, 'tx', `${dev}.pcap`);
  if (!fs.existsSync(file)) return [];
  const c = openCapture([file]);
  const pkts: Uint8Array[] = [];
  try {
    for (let r = c.next(); r !== null; r = c.next()) pkts.push(r.data.slice(r.offset + 14, r.offset + r.caplen));
  } finally {
    c.close();
  }
  return pkts;
}

const OPTIONS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 1, 3, 3, 7];

describe.each<EngineKind>(['compiled', 'interpreted'])('header targets in the datapath (%s engine)', (engine) => {
  it('strips, clears ECN bits and sets ECT on a forwarded SYN; both checksums stay valid', () => {
    const cap = capture('syn.pcap', [{ flags: 0xc2, sport: 41000, dport: 80, options: OPTIONS }]);
    const { r, out, counter } = replay(cap, engine);
    expect(r.report.drops.total).toBe(0);
    const [p, ...rest] = sent(out, 'eth0');
    expect(rest).toEqual([]);
    expect(p).toBeDefined();
    const ip = p!;
    expect(formatIpv4(be32(ip, 12))).toBe('198.51.100.1');
    expect(ip[1]).toBe(0x01);
    expect(ip[20 + 13]).toBe(0x02);
    // MSS clamped to 1450 - 40 by the host's TCPMSS rule in POSTROUTING, SACK-permitted and timestamps NOPs
    expect([...ip.subarray(40, 60)]).toEqual([2, 4, 0x05, 0x82, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 7]);
    expect(checksumsValid(ip, 0)).toBe(true);
    expect(counter('-A FORWARD -p tcp -j TCPOPTSTRIP --strip-options 4,8')).toBe('1:60');
    expect(counter('-A FORWARD -p tcp -j ECN --ecn-tcp-remove')).toBe('1:60');
    expect(counter('-A FORWARD -j ECN --ecn-ip-ect 1')).toBe('1:60');
    expect(counter('-A POSTROUTING -o eth0 -j CLASSIFY --set-class 0001:0010')).toBe('1:60');
  });

  it('drops a segment whose data offset runs past its end in mangle FORWARD', () => {
    const cap = capture('bad-doff.pcap', [{ flags: 0x02, sport: 41001, dport: 80 }], (ip) => {
      ip[20 + 12] = 15 << 4;
    });
    const { r, out, counter } = replay(cap, engine);
    expect(sent(out, 'eth0')).toEqual([]);
    // NF_DROP from a target is the rule's verdict: the drop names the rule
    expect(r.report.drops.byReason).toEqual({ rule: 1 });
    expect(r.report.drops.first[0]!.detail).toBe('mangle:FORWARD:rule 1');
    expect(counter('-A FORWARD -p tcp -j TCPOPTSTRIP --strip-options 4,8')).toBe('1:40');
    expect(counter('-A FORWARD -p tcp -j ECN --ecn-tcp-remove')).toBe('0:0');
  });
});

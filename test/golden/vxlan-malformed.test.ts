// vxlan_rcv's refusals, on datagrams made from one the kernel really received in recording 41-flannel-vxlan
// (an encapsulated frame from the remote node arriving on eth0): unchanged it is decapsulated and forwarded;
// with other flags, an unknown VNI, the device's own MAC as inner source, or CE on the outer header of a
// packet that is not ECN-capable, it is dropped with its reason. The outer UDP checksum is set to 0 (none),
// which IPv4 allows, so that only the change under test matters.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/open.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { LinkType } from '../../src/capture/types.js';
import { be16, putBe16 } from '../../src/util/bytes.js';
import { ipv4HeaderChecksum } from '../../src/wire/checksum.js';
import { CLI } from '../helpers/oracle.js';

const DIR = path.resolve(__dirname, '..', 'fixtures', 'oracle', 'captures', '41-flannel-vxlan');
const SLL2 = 20;

/** The first VXLAN datagram received on eth0 (ifindex 2), as SLL2 record bytes. */
function receivedVxlan(): Uint8Array {
  const c = openCapture([path.join(DIR, 'host-any.pcap')]);
  try {
    for (let r = c.next(); r !== null; r = c.next()) {
      const b = r.data.subarray(r.offset, r.offset + r.caplen);
      const ip = SLL2;
      if (r.ifIndex === 2 && b[10] === 0 && be16(b, 0) === 0x0800 && b[ip + 9] === 17 && be16(b, ip + 22) === 8472) return b.slice();
    }
  } finally {
    c.close();
  }
  throw new Error('no received VXLAN datagram in the recording');
}

describe('vxlan_rcv on malformed datagrams', () => {
  it('decapsulates the intact datagram and drops each broken one with its reason', () => {
    const orig = receivedVxlan();
    const ip = SLL2;
    const udp = ip + 20;
    const vx = udp + 8;
    const inner = vx + 8;
    const variants: Array<(b: Uint8Array) => void> = [
      () => undefined,
      (b) => (b[vx] = 0x0c), // an extra flag bit
      (b) => (b[vx + 6] = b[vx + 6]! ^ 1), // VNI 1 → another
      (b) => b.set([0x0e, 0, 0, 0, 0xf1, 0x01], inner + 6), // inner source: flannel.1's own MAC
      (b) => {
        b[ip + 1] = 3; // outer CE
        b[inner + 14 + 1] = 0; // inner Not-ECT
      },
    ];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-vxlan-bad-')), 'in.pcap');
    const w = new PcapWriter(file, { linkType: LinkType.LINUX_SLL2, nanosecond: true });
    variants.forEach((change, i) => {
      const b = orig.slice();
      change(b);
      putBe16(b, udp + 6, 0);
      putBe16(b, ip + 10, 0);
      putBe16(b, ip + 10, ipv4HeaderChecksum(b, ip, 20));
      w.writePacket(b, 0, b.length, b.length, 1_700_000_000, i * 1_000_000);
    });
    w.close();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nfr-vxlan-bad-out-'));
    const p = spawnSync(process.execPath, [CLI, 'replay', '--rules', path.join(DIR, 'rules.v4'), '--snapshot', path.join(DIR, 'host-snapshot'), '--out', out, file], { encoding: 'utf8' });
    expect(p.status, p.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { drops: { byReason: Record<string, number> }; tx: Record<string, number> };
    expect(report.drops.byReason).toEqual({ vxlan_flags: 1, vxlan_vni: 1, vxlan_loop: 1, vxlan_ecn: 1 });
    // the intact one: its inner frame crosses docker0 to c1
    expect(report.tx['vethc1']).toBe(1);
  });
});

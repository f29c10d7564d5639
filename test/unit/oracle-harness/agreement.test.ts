// Proves the agreement harness: the kernel's own recordings (all of test/fixtures/oracle), written in replay-output
// form, must agree with themselves; mutated copies (one byte, a missing/extra/reordered packet, a wrong
// counter, a wrong conntrack state, a missing file, a NAT port) must fail with the right message.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { putBe16 } from '../../../src/util/bytes.js';
import { ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../../../src/wire/checksum.js';
import { be32 } from '../../../src/util/bytes.js';
import { compareWithKernel, formatReport } from '../../helpers/oracle.js';
import { mirrorKernelOutput } from '../../helpers/oracle-mirror.js';
import { readCapture, writeCapture, LINK_ETHERNET, type WriteFrame } from '../../helpers/oracle-pcap.js';

const FIX = path.resolve(__dirname, '..', '..', 'fixtures', 'oracle', 'captures');
const OWN = fs.readdirSync(FIX).filter((d) => fs.existsSync(path.join(FIX, d, 'host-any.pcap'))).sort();

function mirrored(sc: string): { dir: string; out: string } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `oracle-${sc}-`));
  mirrorKernelOutput(path.join(FIX, sc), out);
  return { dir: path.join(FIX, sc), out };
}

function editTx(out: string, iface: string, fn: (frames: WriteFrame[]) => WriteFrame[]): void {
  const p = path.join(out, 'tx', `${iface}.pcap`);
  const frames = readCapture(p).map((f) => ({ tsNs: f.tsNs, data: f.data.slice() }));
  writeCapture(p, LINK_ETHERNET, fn(frames));
}

/** Give the IPv4 packet at byte 14 of an Ethernet frame another IP ID, with its header checksum recomputed. */
function setIpId(frame: Uint8Array, id: number): void {
  const ip = frame.subarray(14);
  putBe16(ip, 4, id);
  putBe16(ip, 10, 0);
  putBe16(ip, 10, ipv4HeaderChecksum(ip, 0, 20));
}

/** Recompute the IP header and TCP checksums of the IPv4/TCP packet at byte 14 of an Ethernet frame. */
function fixTcpChecksums(frame: Uint8Array): void {
  const ip = frame.subarray(14);
  putBe16(ip, 10, 0);
  putBe16(ip, 10, ipv4HeaderChecksum(ip, 0, 20));
  const l4len = ip.length - 20;
  putBe16(ip, 36, l4Checksum(ip, 20, l4len, 16, pseudoHeaderSum(be32(ip, 12), be32(ip, 16), 6, l4len)));
}

const lines = (out: string, dir: string): string[] => compareWithKernel(dir, out).failures.map((f) => `[${f.check}] ${f.where}: ${f.message}`);

describe('oracle harness: the kernel agrees with itself', () => {
  for (const sc of OWN) {
    it(`${sc}: its own recording, as replay output, passes every check`, () => {
      const { dir, out } = mirrored(sc);
      const r = compareWithKernel(dir, out);
      expect(formatReport(r)).toBe(formatReport({ ...r, failures: [] }));
      expect(r.compared.packets).toBeGreaterThan(0);
      expect(r.compared.rules).toBeGreaterThan(5);
    });
  }
});

describe('oracle harness: mutations are caught with the right message (11-invalid-drop)', () => {
  // host-any.pcap, tshark -Y 'sll.pkttype==4 && ip': eth0 TX #0 lone ACK (frame 17), #1 SYN (20), #2 ACK (26),
  // #3 PSH/ACK 100 bytes (29, t=0.492895), #4 PSH/ACK 10 bytes (37), #5 UDP (44); all TTL 63.
  const SC = '11-invalid-drop';

  it('one byte: the TTL of eth0 packet #3', () => {
    const { dir, out } = mirrored(SC);
    editTx(out, 'eth0', (f) => (f[3]!.data[14 + 8] = 62, f));
    expect(lines(out, dir)).toEqual([
      '[tx] eth0 TX packet #3: byte 8 ip.ttl: kernel 63 (0x3f), ours 62 (0x3e); kernel tcp 198.51.100.1:42005 > 198.51.100.10:7777 [PA] seq 10001 ip.len 140 kernel t=+0.492895s (host-any.pcap#29); ours ours t=+0.492895s (tx/eth0.pcap#4)',
    ]);
  });

  it('a missing packet', () => {
    const { dir, out } = mirrored(SC);
    editTx(out, 'eth0', (f) => f.filter((_, i) => i !== 2));
    expect(lines(out, dir)).toEqual(['[tx] eth0 TX packet #2: ours lacks kernel packet #2: tcp 198.51.100.1:42005 > 198.51.100.10:7777 [A] seq 10001 ip.len 40 kernel t=+0.442343s (host-any.pcap#26)']);
  });

  it('an extra packet', () => {
    const { dir, out } = mirrored(SC);
    editTx(out, 'eth0', (f) => [...f.slice(0, 2), f[1]!, ...f.slice(2)]);
    expect(lines(out, dir)).toEqual(['[tx] eth0 TX packet #2: ours has 1 extra packet(s) before kernel packet #2: tcp 198.51.100.1:42005 > 198.51.100.10:7777 [S] seq 10000 ip.len 44 ours t=+0.247429s (tx/eth0.pcap#3)']);
  });

  it('a reordered pair', () => {
    const { dir, out } = mirrored(SC);
    editTx(out, 'eth0', (f) => [f[0]!, f[1]!, f[2]!, f[4]!, f[3]!, f[5]!]);
    expect(lines(out, dir)[0]).toMatch(/^\[tx\] eth0 TX packet #3: packets #3 and #4 are in the opposite order: kernel sent tcp 198.51.100.1:42005 > 198.51.100.10:7777 \[PA\] seq 10001 ip.len 140 first, ours sent tcp 198.51.100.1:42005 > 198.51.100.10:7777 \[PA\] seq 10101 ip.len 50 first/);
  });

  it('a packet too few at the end, and a missing tx file', () => {
    const { dir, out } = mirrored(SC);
    editTx(out, 'eth0', (f) => f.slice(0, 5));
    fs.rmSync(path.join(out, 'tx', 'docker0.pcap'));
    expect(lines(out, dir)).toEqual([
      '[files] tx/docker0.pcap: missing from the replay output; the kernel sent 2 IPv4 packet(s) on docker0',
      '[tx] eth0 TX packet #5: ours stops after 5 packet(s); the kernel sent 6, next: udp 198.51.100.1:42008 > 198.51.100.10:7778 ip.len 52 kernel t=+0.911163s (host-any.pcap#44)',
    ]);
  });

  it('a wrong counter and a wrong policy counter', () => {
    const { dir, out } = mirrored(SC);
    const p = path.join(out, 'iptables-save-c.txt');
    fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace('[7:354] -A KUBE-FORWARD', '[6:314] -A KUBE-FORWARD').replace(':FORWARD ACCEPT [15:804]', ':FORWARD ACCEPT [15:805]'));
    expect(lines(out, dir)).toEqual([
      '[counters] mangle FORWARD policy ACCEPT: kernel [15:804], ours [15:805]',
      '[counters] filter KUBE-FORWARD rule 1 `-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP`: kernel [7:354], ours [6:314] (packets:bytes)',
    ]);
  });

  it('a wrong conntrack state, and a missing conntrack dump', () => {
    const { dir, out } = mirrored(SC);
    const p = path.join(out, 'conntrack-L.txt');
    fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace('299 ESTABLISHED', '299 CLOSE'));
    expect(lines(out, dir)).toEqual(['[conntrack] conntrack tcp 172.17.0.2:42005 > 198.51.100.10:7777: state: kernel ESTABLISHED, ours CLOSE']);
    fs.rmSync(p);
    expect(lines(out, dir)).toEqual(['[files] conntrack-L.txt: missing from the replay output']);
  });

  it('a wrong conntrack -S statistic', () => {
    const { dir, out } = mirrored(SC);
    const p = path.join(out, 'conntrack-S.txt');
    fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace('invalid=7', 'invalid=6'));
    expect(lines(out, dir)).toEqual(['[conntrack-stats] conntrack -S invalid: kernel 7, ours 6 (summed over CPUs)']);
  });
});

describe('oracle harness: masks only what is unpredictable (13-local-answers-ttl)', () => {
  // eth0 TX #0: the host's echo reply to ext (frame 4, ip.id 0xd5b4, DF clear); #2: RST to ext (frame 22, ip.id 0, DF)
  const SC = '13-local-answers-ttl';

  it("the IP ID of the host's own ICMP is masked, and its checksum then verified on its own", () => {
    const { dir, out } = mirrored(SC);
    editTx(out, 'eth0', (f) => (setIpId(f[0]!.data, 0x1234), f));
    expect(lines(out, dir)).toEqual([]);
    editTx(out, 'eth0', (f) => (putBe16(f[0]!.data, 14 + 4, 0x1235), f));
    expect(lines(out, dir)).toEqual(['[tx] eth0 TX packet #0: ip.checksum of ours does not verify (the field is masked in the comparison, so it must be right on its own): icmp 198.51.100.1 > 198.51.100.10 type 0 code 0 id 4700 seq 1 ip.len 84 ours t=+0.000220s (tx/eth0.pcap#1)']);
  });

  it('the IP ID of a RST (0, DF set: deterministic) is compared', () => {
    const { dir, out } = mirrored(SC);
    editTx(out, 'eth0', (f) => (putBe16(f[2]!.data, 14 + 4, 7), fixTcpChecksums(f[2]!.data), f));
    expect(lines(out, dir)[0]).toMatch(/^\[tx\] eth0 TX packet #2: byte 4 ip\.id: kernel 0 \(0x0000\), ours 7 \(0x0007\); also ip\.checksum/);
  });
});

describe('oracle harness: ICMP errors the host made for NATed packets, and forwarded ones', () => {
  it('an error the host made and un-NATed (29: docker0 TX #1, from 198.51.100.10) has its IP ID masked', () => {
    const { dir, out } = mirrored('29-redirect-no-listener');
    editTx(out, 'docker0', (f) => (setIpId(f[1]!.data, 0x1234), f));
    expect(lines(out, dir)).toEqual([]);
  });

  it("a forwarded error (17: ext's port-unreachable, vethc1 TX #0, an IP ID the host received) is compared", () => {
    const { dir, out } = mirrored('17-icmp-related-nat');
    editTx(out, 'vethc1', (f) => (setIpId(f[0]!.data, 0x1234), f));
    expect(lines(out, dir)[0]).toMatch(/^\[tx\] vethc1 TX packet #0: byte 4 ip\.id: kernel 63882 \(0xf98a\), ours 4660 \(0x1234\)/);
  });
});

describe('oracle harness: random NAT ports (11-invalid-drop with MASQUERADE --random-fully)', () => {
  // Flow c1:42005 > ext:7777 was MASQUERADEd keeping port 42005 (eth0 TX #1..#4). As if the rules said
  // --random-fully, ours gives the flow port 50000: in its conntrack reply tuple and in its packets.
  function randomScenario(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-random-sc-'));
    fs.cpSync(path.join(FIX, '11-invalid-drop'), dir, { recursive: true });
    const rules = path.join(dir, 'rules.v4');
    fs.writeFileSync(rules, fs.readFileSync(rules, 'utf8').replace('-j MASQUERADE\n', '-j MASQUERADE --random-fully\n'));
    return dir;
  }
  function remap(out: string, packets: boolean, conntrack: boolean, fix = true): void {
    if (packets)
      editTx(out, 'eth0', (f) => {
        for (const fr of f.slice(1, 5)) {
          putBe16(fr.data, 14 + 20, 50000);
          if (fix) fixTcpChecksums(fr.data);
        }
        return f;
      });
    if (conntrack) {
      const p = path.join(out, 'conntrack-L.txt');
      fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace('sport=7777 dport=42005', 'sport=7777 dport=50000'));
    }
  }

  it('a consistent per-flow mapping within the port class passes, and is counted', () => {
    const dir = randomScenario();
    const { out } = mirrored('11-invalid-drop');
    remap(out, true, true);
    const r = compareWithKernel(dir, out);
    expect(r.failures).toEqual([]);
    expect(r.compared.natPorts).toBe(1);
  });

  it('our packets must carry our own mapping, with valid checksums', () => {
    const dir = randomScenario();
    const a = mirrored('11-invalid-drop').out;
    remap(a, false, true);
    expect(lines(a, dir)[0]).toBe(
      '[nat-port] eth0 TX packet #1: tcp 198.51.100.1:42005 > 198.51.100.10:7777 [S] seq 10000 ip.len 44 carries port 42005 for flow tcp 172.17.0.2:42005 > 198.51.100.10:7777, but our conntrack table maps that flow to 50000: ours is inconsistent ours t=+0.247429s (tx/eth0.pcap#2)',
    );
    const b = mirrored('11-invalid-drop').out;
    remap(b, true, true, false);
    expect(lines(b, dir)[0]).toMatch(/^\[tx\] eth0 TX packet #1: tcp\.checksum of ours does not verify/);
    const c = mirrored('11-invalid-drop').out;
    remap(c, true, false);
    expect(lines(c, dir)[0]).toMatch(/^\[tx\] eth0 TX packet #1: byte 20 tcp\.sport: kernel 42005 \(0xa415\), ours 50000 \(0xc350\)/);
  });

  it('without --random* in the rules, a port the kernel kept must be kept', () => {
    const { dir, out } = mirrored('11-invalid-drop');
    remap(out, true, true);
    const l = lines(out, dir);
    expect(l).toContain(
      '[conntrack] conntrack tcp 172.17.0.2:42005 > 198.51.100.10:7777: reply tuple: kernel 198.51.100.10:7777 > 198.51.100.1:42005, ours 198.51.100.10:7777 > 198.51.100.1:50000: the kernel kept the original port 42005, ours changed it',
    );
    expect(l.some((x) => x.startsWith('[tx] eth0 TX packet #1: byte 20 tcp.sport: kernel 42005'))).toBe(true);
  });
});

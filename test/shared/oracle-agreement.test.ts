// Kernel agreement on the shared oracle recordings: every scenario is replayed with `nfreplay replay` (from
// host-any.pcap; 08 from host-multi.pcapng) and compared with what the real kernel did, by the harness in
// test/helpers/oracle.ts. Each scenario also runs the harness on the kernel's own output first, so a failure
// of the replay comparison is never a harness artefact. Needs a built CLI (npm run build).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeShared, ORACLE_DIR } from '../helpers/shared.js';
import { compareWithKernel, formatReport, localOriginExclusions, replayAndCompare, scenarioInfo, sharedScenarioOptions as optionsFor } from '../helpers/oracle.js';
import { mirrorKernelOutput } from '../helpers/oracle-mirror.js';
import { parseConntrackStats, parseIptablesSave } from '../helpers/oracle-counters.js';
import { parseConntrackList } from '../helpers/oracle-conntrack.js';
import { readCapture, writeCapture, LINK_ETHERNET } from '../helpers/oracle-pcap.js';
import { be16, be32, putBe16 } from '../../src/util/bytes.js';
import { l4Checksum, pseudoHeaderSum } from '../../src/wire/checksum.js';
import { ipv4Str } from '../helpers/oracle-fields.js';

/**
 * Give every source-NATed TCP/UDP flow of a mirrored recording a port of our own (as a replay with its own
 * random draws would): in conntrack-L.txt and in every packet of tx/, checksums recomputed. `pick` chooses
 * the new port for the i-th flow.
 */
function remapSnatPorts(out: string, pick: (i: number) => number): number {
  const ctPath = path.join(out, 'conntrack-L.txt');
  const flows = parseConntrackList(fs.readFileSync(ctPath, 'utf8')).filter((e) => e.orig.sport >= 0 && e.reply.dst !== e.orig.src);
  const map = flows.map((e, i) => ({ addr: e.reply.dst, port: e.reply.dport, peer: e.reply.src, peerPort: e.reply.sport, to: pick(i) }));
  const lines = fs.readFileSync(ctPath, 'utf8').split('\n');
  flows.forEach((e, i) => (lines[e.line - 1] = lines[e.line - 1]!.replace(`dport=${e.reply.dport} packets=${e.reply.packets}`, `dport=${map[i]!.to} packets=${e.reply.packets}`)));
  fs.writeFileSync(ctPath, lines.join('\n'));
  for (const name of fs.readdirSync(path.join(out, 'tx'))) {
    const p = path.join(out, 'tx', name);
    const frames = readCapture(p).map((f) => ({ tsNs: f.tsNs, data: f.data.slice() }));
    for (const f of frames) {
      const ip = f.data.subarray(14);
      const proto = ip[9]!;
      if ((proto !== 6 && proto !== 17) || be16(ip, 6) & 0x3fff) continue;
      for (const m of map) {
        if (ipv4Str(be32(ip, 12)) === m.addr && be16(ip, 20) === m.port && ipv4Str(be32(ip, 16)) === m.peer && be16(ip, 22) === m.peerPort) {
          putBe16(ip, 20, m.to);
          const at = proto === 6 ? 16 : 6;
          const c = l4Checksum(ip, 20, ip.length - 20, at, pseudoHeaderSum(be32(ip, 12), be32(ip, 16), proto, ip.length - 20));
          putBe16(ip, 20 + at, proto === 17 && c === 0 ? 0xffff : c);
        }
      }
    }
    writeCapture(p, LINK_ETHERNET, frames);
  }
  return flows.length;
}

describeShared('kernel agreement: shared oracle recordings', () => {
  const caps = path.join(ORACLE_DIR, 'captures');
  const all = fs.readdirSync(caps).filter((d) => /^\d\d-/.test(d)).sort();
  const replayable = all.filter((d) => !d.startsWith('07-'));

  it('finds the recorded scenarios (01-09, three 05 variants)', () => {
    expect(replayable).toEqual([
      '01-tcp-egress-masq', '02-dnat-published-port', '03-container-to-container-same-bridge', '04-cross-bridge-isolation',
      '05-same-sport-masq-default', '05-same-sport-masq-random', '05-same-sport-masq-random-fully', '06-icmp-ping-out',
      '08-tcpmss-forward-setmss-pcapng', '09-hairpin-userland-proxy-off',
    ]);
  });

  for (const sc of replayable) {
    const dir = path.join(caps, sc);
    describe(sc, () => {
      it('harness: the kernel recording, as replay output, agrees with itself', () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), `oracle-self-${sc}-`));
        mirrorKernelOutput(dir, out);
        const r = compareWithKernel(dir, out, optionsFor(dir));
        expect(r.failures, formatReport(r)).toEqual([]);
        expect(r.compared.packets).toBeGreaterThan(0);
      });

      it('nfreplay replay agrees with the kernel', () => {
        const info = scenarioInfo(dir);
        expect(info.input.length, `${sc}: no replayable capture`).toBe(1);
        // the recorder ran or-host with net.netfilter.nf_conntrack_acct=1 (oracle README, "Settings in
        // or-host") but its host-snapshot/sysctl.txt does not list it: give it to the replay explicitly
        const res = replayAndCompare(dir, optionsFor(dir), ['--sysctl', 'net.netfilter.nf_conntrack_acct=1']);
        expect(res.run.status, res.text).toBe(0);
        expect(res.report!.failures, res.text).toEqual([]);
        expect(res.report!.compared.packets, res.text).toBeGreaterThan(0);
      });
    });
  }

  describe('harness on real random ports (05-same-sport-masq-random-fully)', () => {
    const dir = path.join(caps, '05-same-sport-masq-random-fully');
    it('our own port draws, mapped per flow onto the kernel ones, pass; a reused port fails', () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-random-'));
      mirrorKernelOutput(dir, out);
      const n = remapSnatPorts(out, (i) => 50000 + i);
      const r = compareWithKernel(dir, out);
      expect(r.failures, formatReport(r)).toEqual([]);
      expect([n, r.compared.natPorts]).toEqual([7, 7]);
      const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-random-'));
      mirrorKernelOutput(dir, bad);
      remapSnatPorts(bad, (i) => (i < 3 ? 50000 : 50001 + i)); // the first three UDP flows share one port
      const msgs = compareWithKernel(dir, bad).failures.map((f) => f.message);
      expect(msgs.some((m) => /^ours has the same REPLY tuple \(198\.51\.100\.10:9999 > 198\.51\.100\.1:50000\)/.test(m)), msgs.join('\n')).toBe(true);
    });
  });

  it('09: the local process flow is excluded as the kernel saw it and as a replay may see it (from its replies)', () => {
    const o = localOriginExclusions(path.join(caps, '09-hairpin-userland-proxy-off'));
    const kernelView = parseConntrackList(fs.readFileSync(path.join(caps, '09-hairpin-userland-proxy-off', 'conntrack-L.txt'), 'utf8'));
    expect(kernelView.filter((e) => o.excludeConntrack!(e)).map((e) => e.orig.src)).toEqual(['198.51.100.1']);
    const k = kernelView.find((e) => o.excludeConntrack!(e))!;
    const [pickup] = parseConntrackList(`ipv4 2 tcp 6 299 ESTABLISHED src=${k.reply.src} dst=${k.reply.dst} sport=${k.reply.sport} dport=${k.reply.dport} packets=1 bytes=52 [UNREPLIED] src=${k.reply.dst} dst=${k.reply.src} sport=${k.reply.dport} dport=${k.reply.sport} packets=0 bytes=0 mark=0 use=1`);
    expect(o.excludeConntrack!(pickup!)).toMatch(/local process/);
    expect(localOriginExclusions(path.join(caps, '02-dnat-published-port'))).toEqual({});
  });

  describe('07-snat-race', () => {
    // 07 has NO host-any capture: each run kept only the first 200 packets leaving eth0 and the state dumps
    // (the 20000-packet race itself was not captured). Nothing can be replayed, so no replay comparison is
    // possible here (nfreplay race is measured against summary.json by its own suite). What can be covered:
    // the harness reads every run's dumps, and they are consistent with the recorded summary.
    const runs = fs.readdirSync(path.join(caps, '07-snat-race')).filter((d) => fs.existsSync(path.join(caps, '07-snat-race', d, 'summary.json'))).sort();

    it('has seven runs and no replayable capture', () => {
      expect(runs).toHaveLength(7);
      for (const r of runs) {
        const d = path.join(caps, '07-snat-race', r);
        expect(fs.existsSync(path.join(d, 'host-any.pcap')) || fs.existsSync(path.join(d, 'host-multi.pcapng'))).toBe(false);
      }
    });

    for (const run of runs) {
      it(`${run}: the harness parsers read its dumps, consistent with summary.json`, () => {
        const d = path.join(caps, '07-snat-race', run);
        const summary = JSON.parse(fs.readFileSync(path.join(d, 'summary.json'), 'utf8')) as { packets_lost: number; packets_sent: number; conntrack_S_delta: Record<string, number> };
        const before = parseConntrackStats(fs.readFileSync(path.join(d, 'conntrack-S-before.txt'), 'utf8'));
        const after = parseConntrackStats(fs.readFileSync(path.join(d, 'conntrack-S-after.txt'), 'utf8'));
        for (const k of ['insert_failed', 'drop', 'clash_resolve', 'found'])
          expect((after.get(k) ?? 0) - (before.get(k) ?? 0), k).toBe(summary.conntrack_S_delta[k]);
        // every lost packet is one insert_failed (README: "each lost packet was exactly one insert_failed")
        expect((after.get('insert_failed') ?? 0) - (before.get('insert_failed') ?? 0)).toBe(summary.packets_lost);
        const ipt = parseIptablesSave(fs.readFileSync(path.join(d, 'iptables-save-c.txt'), 'utf8'));
        const masq = ipt.get('nat')!.chains.get('POSTROUTING')!.rules.find((x) => x.text.includes('-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE'))!;
        // nat POSTROUTING sees a packet only while its conntrack entry is unconfirmed: every packet of the two
        // senders when their tuples differ (2ctr); with identical tuples (sametuple) the first sender's 10000
        // plus the second sender's packets that lost the race (clash_resolve or insert_failed). Plus the two
        // warm-up pings (c1 and c2 -> ext) that record.sh sends after loading the rules.
        const dS = (k: string): number => (after.get(k) ?? 0) - (before.get(k) ?? 0);
        const unconfirmed = run.includes('sametuple') ? summary.packets_sent / 2 + dS('clash_resolve') + dS('insert_failed') : summary.packets_sent;
        expect(masq.packets).toBe(unconfirmed + 2);
        expect(parseConntrackList(fs.readFileSync(path.join(d, 'conntrack-L-head100.txt'), 'utf8')).length).toBe(100);
        expect(readCapture(path.join(d, 'host-eth0.pcap'))).toHaveLength(200);
      });
    }
  });
});

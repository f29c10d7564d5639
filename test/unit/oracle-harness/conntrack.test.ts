import { describe, expect, it } from 'vitest';
import { compareConntrack, parseConntrackList, portClass, type CtEntry } from '../../helpers/oracle-conntrack.js';

// Lines as `conntrack -L -o extended` printed them in test/fixtures/oracle/captures/1[13]-*/conntrack-L.txt
const TCP = 'ipv4     2 tcp      6 299 ESTABLISHED src=172.17.0.2 dst=198.51.100.10 sport=42005 dport=7777 packets=4 bytes=274 src=198.51.100.10 dst=198.51.100.1 sport=7777 dport=42005 packets=2 bytes=84 [ASSURED] mark=0 use=1';
const UDP = 'ipv4     2 udp      17 29 src=172.17.0.2 dst=198.51.100.10 sport=42008 dport=7778 packets=1 bytes=52 [UNREPLIED] src=198.51.100.10 dst=198.51.100.1 sport=7778 dport=42008 packets=0 bytes=0 mark=0 use=1';
const ICMP = 'ipv4     2 icmp     1 28 src=198.51.100.10 dst=198.51.100.1 type=8 code=0 id=4700 packets=2 bytes=168 src=198.51.100.1 dst=198.51.100.10 type=0 code=0 id=4700 packets=2 bytes=168 mark=0 use=1';
const OPT = { randomSnat: false, randomDnat: false, timeoutSlackS: 2 };

const one = (line: string): CtEntry[] => parseConntrackList(line);
const msgs = (k: string, o: string, opt = OPT): string[] => compareConntrack(one(k), one(o), opt).failures.map((f) => `${f.check} ${f.where}: ${f.message}`);

describe('oracle harness: conntrack -L', () => {
  it('parses state, both tuples with counters, flags and extras', () => {
    const [t] = one(TCP);
    expect([t!.l4, t!.l4num, t!.timeout, t!.state, t!.flags, t!.extra.get('mark')]).toEqual(['tcp', 6, 299, 'ESTABLISHED', ['ASSURED'], '0']);
    expect(t!.orig).toMatchObject({ src: '172.17.0.2', sport: 42005, dport: 7777, packets: 4, bytes: 274 });
    expect(t!.reply).toMatchObject({ src: '198.51.100.10', dst: '198.51.100.1', dport: 42005, packets: 2, bytes: 84 });
    const [u] = one(UDP);
    expect([u!.state, u!.flags]).toEqual([null, ['UNREPLIED']]);
    const [i] = one(ICMP);
    expect([i!.orig.type, i!.orig.id, i!.reply.type, i!.reply.id, i!.orig.sport]).toEqual([8, 4700, 0, 4700, -1]);
    // the plain (non-extended) form has no "ipv4 2" prefix
    expect(parseConntrackList(TCP.replace(/^ipv4\s+2\s+/, ''))[0]!.orig.sport).toBe(42005);
    expect(() => parseConntrackList('ipv4 2 tcp x', 'ct.txt')).toThrow('ct.txt:1: cannot read conntrack line');
  });

  it('agrees with itself', () => {
    const all = [TCP, UDP, ICMP].join('\n');
    const r = compareConntrack(parseConntrackList(all), parseConntrackList(all), OPT);
    expect([r.failures, r.matched, r.portMap]).toEqual([[], 3, []]);
  });

  it('reports state, flags, mark, counters and missing entries with both values', () => {
    expect(msgs(TCP, TCP.replace('ESTABLISHED', 'CLOSE'))).toEqual(['conntrack conntrack tcp 172.17.0.2:42005 > 198.51.100.10:7777: state: kernel ESTABLISHED, ours CLOSE']);
    expect(msgs(TCP, TCP.replace(' [ASSURED]', ''))).toEqual(['conntrack conntrack tcp 172.17.0.2:42005 > 198.51.100.10:7777: status flags: kernel [ASSURED], ours []']);
    expect(msgs(TCP, TCP.replace('mark=0', 'mark=16384'))).toEqual(['conntrack conntrack tcp 172.17.0.2:42005 > 198.51.100.10:7777: mark: kernel 0, ours 16384']);
    expect(msgs(TCP, TCP.replace('packets=2 bytes=84', 'packets=3 bytes=124'))).toEqual([
      'conntrack conntrack tcp 172.17.0.2:42005 > 198.51.100.10:7777: REPLY counters: kernel packets=2 bytes=84, ours packets=3 bytes=124',
    ]);
    expect(compareConntrack(one(TCP), [], OPT).failures[0]!.message).toBe('missing from ours (kernel: ESTABLISHED reply 198.51.100.10:7777 > 198.51.100.1:42005 [ASSURED])');
    expect(compareConntrack([], one(UDP), OPT).failures[0]!.message).toMatch(/^ours has an entry the kernel does not/);
  });

  it('allows our timeout to run from the last packet: ours - kernel in [-1, slack]', () => {
    expect(msgs(TCP, TCP.replace(' 299 ', ' 300 '))).toEqual([]);
    expect(msgs(TCP, TCP.replace(' 299 ', ' 298 '))).toEqual([]);
    expect(msgs(TCP, TCP.replace(' 299 ', ' 301 '))).toEqual([]);
    expect(msgs(TCP, TCP.replace(' 299 ', ' 302 '))).toEqual(['conntrack conntrack tcp 172.17.0.2:42005 > 198.51.100.10:7777: timeout: kernel 299 s, ours 302 s (ours - kernel must lie in [-1, 2])']);
    expect(msgs(TCP, TCP.replace(' 299 ', ' 297 '))[0]).toMatch(/timeout: kernel 299 s, ours 297 s/);
  });
});

describe('oracle harness: random NAT ports', () => {
  // 05-same-sport-masq-default style: the kernel remapped c2's sport 5000 (taken by c1) to 62352
  const K = 'ipv4     2 udp      17 117 src=172.17.0.3 dst=198.51.100.10 sport=5000 dport=9999 packets=3 bytes=276 src=198.51.100.10 dst=198.51.100.1 sport=9999 dport=62352 packets=3 bytes=276 [ASSURED] mark=0 use=1';
  const ours = (p: number): string => K.replace('dport=62352', `dport=${p}`);

  it('port classes are those of nf_nat_l4proto_unique_tuple', () => {
    expect([portClass(100), portClass(511), portClass(512), portClass(1023), portClass(1024), portClass(65535)]).toEqual([
      [1, 511], [1, 511], [600, 1023], [600, 1023], [1024, 65535], [1024, 65535],
    ]);
  });

  it('maps a clash remap of ours onto the kernel one when both remapped within the class', () => {
    const r = compareConntrack(one(K), one(ours(40000)), OPT);
    expect(r.failures).toEqual([]);
    expect(r.portMap).toEqual([{ proto: 17, addr: '198.51.100.1', ours: 40000, kernel: 62352, peer: '198.51.100.10', peerPort: 9999, flow: 'udp 172.17.0.3:5000 > 198.51.100.10:9999' }]);
  });

  it('fails when ours kept a port the kernel had to remap, or left the class', () => {
    expect(msgs(K, ours(5000))).toEqual(['nat-port conntrack udp 172.17.0.3:5000 > 198.51.100.10:9999: the kernel had to remap the taken port 5000 (to 62352), ours kept it']);
    expect(msgs(K, ours(900))).toEqual(['nat-port conntrack udp 172.17.0.3:5000 > 198.51.100.10:9999: our NAT port 900 is outside the class 1024-65535 of the original port 5000 (kernel chose 62352)']);
  });

  it('without --random a port the kernel kept must be kept; with --random it may differ', () => {
    const kept = K.replace('dport=62352', 'dport=5000');
    expect(msgs(kept, ours(40000))).toEqual([
      'conntrack conntrack udp 172.17.0.3:5000 > 198.51.100.10:9999: reply tuple: kernel 198.51.100.10:9999 > 198.51.100.1:5000, ours 198.51.100.10:9999 > 198.51.100.1:40000: the kernel kept the original port 5000, ours changed it',
    ]);
    expect(msgs(kept, ours(40000), { ...OPT, randomSnat: true })).toEqual([]);
  });

  it('requires our reply tuples to be unique', () => {
    const other = K.replace('src=172.17.0.3', 'src=172.17.0.4');
    const f = compareConntrack(parseConntrackList(`${K}\n${other}`), parseConntrackList(`${ours(40000)}\n${other.replace('dport=62352', 'dport=40000')}`), OPT).failures;
    expect(f.map((x) => x.message)).toContain('ours has the same REPLY tuple (198.51.100.10:9999 > 198.51.100.1:40000) as udp 172.17.0.3:5000 > 198.51.100.10:9999: not unique');
  });

  it('fails any other reply-tuple difference (e.g. a DNAT backend) plainly', () => {
    const dn = 'ipv4     2 tcp      6 118 TIME_WAIT src=198.51.100.10 dst=198.51.100.1 sport=41000 dport=9001 packets=5 bytes=329 src=172.17.0.2 dst=198.51.100.10 sport=8001 dport=41000 packets=5 bytes=568 [ASSURED] mark=0 use=1';
    expect(msgs(dn, dn.replace('sport=8001', 'sport=8000'))).toEqual([
      'conntrack conntrack tcp 198.51.100.10:41000 > 198.51.100.1:9001: reply tuple (sport): kernel 172.17.0.2:8001 > 198.51.100.10:41000, ours 172.17.0.2:8000 > 198.51.100.10:41000',
    ]);
  });
});

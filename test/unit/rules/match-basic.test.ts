// Stateless matches on hand-built packets: parse, print and the kernel's match function (xt_tcpudp.c,
// xt_multiport.c, icmp_match, xt_iprange.c, xt_length.c, ipt_ttl.c, xt_dscp.c, xt_pkttype.c, xt_mac.c,
// xt_tcpmss.c, xt_comment.c, xt_mark.c, xt_connmark.c, xt_addrtype.c).

import { describe, expect, it } from 'vitest';
import { TestMatchEnv, evalMatch, matchOf, parseOne, skbOf } from './helpers.js';
import { TcpFlag } from '../../../src/decode/meta.js';

const env = (): TestMatchEnv => new TestMatchEnv();
const printOf = (rule: string): string => {
  const m = matchOf(rule);
  return m.module.print(m.data, { family: 4 });
};

describe('tcp', () => {
  const syn = { sport: 40000, dport: 22, tcpFlags: TcpFlag.SYN };
  it('matches port ranges and inverted ports', () => {
    expect(evalMatch(matchOf('-p tcp --dport 22'), skbOf(syn), env())).toBe(true);
    expect(evalMatch(matchOf('-p tcp --dport 23'), skbOf(syn), env())).toBe(false);
    expect(evalMatch(matchOf('-p tcp --sport 1024:'), skbOf(syn), env())).toBe(true);
    expect(evalMatch(matchOf('-p tcp ! --sport 1024:'), skbOf(syn), env())).toBe(false);
    expect(evalMatch(matchOf('-p tcp ! --dport 80'), skbOf(syn), env())).toBe(true);
  });
  it('compares (flags & mask) == comp, --syn being FIN,SYN,RST,ACK SYN', () => {
    const m = matchOf('-p tcp --syn');
    expect(evalMatch(m, skbOf(syn), env())).toBe(true);
    expect(evalMatch(m, skbOf({ ...syn, tcpFlags: TcpFlag.SYN | TcpFlag.ACK }), env())).toBe(false);
    expect(evalMatch(m, skbOf({ ...syn, tcpFlags: TcpFlag.SYN | TcpFlag.PSH | TcpFlag.ECE }), env())).toBe(true);
    const clamp = matchOf('-p tcp --tcp-flags SYN,RST SYN');
    expect(evalMatch(clamp, skbOf({ ...syn, tcpFlags: TcpFlag.SYN | TcpFlag.ACK }), env())).toBe(true);
    expect(evalMatch(matchOf('-p tcp ! --tcp-flags SYN,RST SYN'), skbOf({ ...syn, tcpFlags: TcpFlag.RST }), env())).toBe(true);
  });
  it('looks for a TCP option kind in the header bytes', () => {
    // 20-byte header then options: MSS (2,4,05b4), NOP, wscale (3,3,7)
    const data = new Uint8Array(34 + 28);
    data.set([2, 4, 0x05, 0xb4, 1, 3, 3, 7], 34 + 20);
    const pkt = { ...syn, data, caplen: data.length, tcpHdrLen: 28, l4Len: 28 };
    expect(evalMatch(matchOf('-p tcp --tcp-option 3'), skbOf(pkt), env())).toBe(true);
    expect(evalMatch(matchOf('-p tcp --tcp-option 8'), skbOf(pkt), env())).toBe(false);
    expect(evalMatch(matchOf('-p tcp ! --tcp-option 8'), skbOf(pkt), env())).toBe(true);
  });
  it('never matches fragments, hot-drops offset-1 fragments and short headers', () => {
    const e1 = env();
    expect(evalMatch(matchOf('-p tcp -m tcp'), skbOf({ ...syn, fragOffset: 16 }), e1)).toBe(false);
    expect(e1.hotdrop).toBe(0);
    const e2 = env();
    expect(evalMatch(matchOf('-p tcp -m tcp'), skbOf({ ...syn, fragOffset: 8 }), e2)).toBe(false);
    expect(e2.hotdrop).toBe(1);
    const e3 = env();
    expect(evalMatch(matchOf('-p tcp --dport 22'), skbOf({ ...syn, l4Len: 12 }), e3)).toBe(false);
    expect(e3.hotdrop).toBe(1);
  });
  it('prints sport, dport, option, flags in that order', () => {
    expect(printOf('-p tcp --tcp-flags ALL SYN ! --tcp-option 2 --dport 1:2 --sport 3')).toBe('--sport 3 --dport 1:2 ! --tcp-option 2 --tcp-flags FIN,SYN,RST,PSH,ACK,URG SYN');
  });
});

describe('udp', () => {
  it('matches ports; hot-drops a header shorter than 8 bytes', () => {
    const p = { ipProto: 17, sport: 5353, dport: 53, l4Len: 8 };
    expect(evalMatch(matchOf('-p udp --dport 53'), skbOf(p), env())).toBe(true);
    expect(evalMatch(matchOf('-p udp ! --sport 5353'), skbOf(p), env())).toBe(false);
    const e = env();
    expect(evalMatch(matchOf('-p udp --dport 53'), skbOf({ ...p, l4Len: 4 }), e)).toBe(false);
    expect(e.hotdrop).toBe(1);
  });
});

describe('multiport', () => {
  const p = { sport: 1000, dport: 443 };
  it('matches lists and ranges on one side or either side', () => {
    expect(evalMatch(matchOf('-p tcp -m multiport --dports 22,80,443'), skbOf(p), env())).toBe(true);
    expect(evalMatch(matchOf('-p tcp -m multiport --dports 22,80'), skbOf(p), env())).toBe(false);
    expect(evalMatch(matchOf('-p tcp -m multiport --sports 900:1100'), skbOf(p), env())).toBe(true);
    expect(evalMatch(matchOf('-p tcp -m multiport --ports 1000'), skbOf(p), env())).toBe(true);
    expect(evalMatch(matchOf('-p tcp -m multiport ! --dports 22,443'), skbOf(p), env())).toBe(false);
    expect(evalMatch(matchOf('-p tcp -m multiport ! --dports 22'), skbOf(p), env())).toBe(true);
  });
  it('counts a range as two of the 15 ports', () => {
    expect(parseOne('-p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14:15').issues).toEqual([]);
    expect(parseOne('-p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15:16').issues[0]?.message).toContain('too many ports');
  });
});

describe('icmp', () => {
  const echo = { ipProto: 1, icmpType: 8, icmpCode: 0, l4Len: 64 };
  it('matches type, type/code and any', () => {
    expect(evalMatch(matchOf('-p icmp --icmp-type echo-request'), skbOf(echo), env())).toBe(true);
    expect(evalMatch(matchOf('-p icmp --icmp-type echo-reply'), skbOf(echo), env())).toBe(false);
    expect(evalMatch(matchOf('-p icmp --icmp-type any'), skbOf({ ...echo, icmpType: 42 }), env())).toBe(true);
    const hostUnreach = matchOf('-p icmp --icmp-type host-unreachable');
    expect(evalMatch(hostUnreach, skbOf({ ...echo, icmpType: 3, icmpCode: 1 }), env())).toBe(true);
    expect(evalMatch(hostUnreach, skbOf({ ...echo, icmpType: 3, icmpCode: 3 }), env())).toBe(false);
    expect(evalMatch(matchOf('-p icmp ! --icmp-type 3'), skbOf(echo), env())).toBe(true);
  });
  it('prints numbers', () => {
    expect(printOf('-p icmp --icmp-type destination-unreachable')).toBe('--icmp-type 3');
    expect(printOf('-p icmp --icmp-type network-unreachable')).toBe('--icmp-type 3/0');
  });
});

describe('iprange, length, ttl', () => {
  it('iprange: inclusive host-order ranges, each side invertible', () => {
    const m = matchOf('-m iprange --src-range 10.0.0.10-10.0.0.20 ! --dst-range 192.168.0.0-192.168.255.255');
    expect(evalMatch(m, skbOf({ saddr: '10.0.0.10', daddr: '8.8.8.8' }), env())).toBe(true);
    expect(evalMatch(m, skbOf({ saddr: '10.0.0.21', daddr: '8.8.8.8' }), env())).toBe(false);
    expect(evalMatch(m, skbOf({ saddr: '10.0.0.20', daddr: '192.168.1.1' }), env())).toBe(false);
  });
  it('length: IP total length', () => {
    const m = matchOf('-m length --length 40:60');
    expect(evalMatch(m, skbOf({ ipTotalLen: 60 }), env())).toBe(true);
    expect(evalMatch(m, skbOf({ ipTotalLen: 61 }), env())).toBe(false);
    expect(evalMatch(matchOf('-m length ! --length 40:60'), skbOf({ ipTotalLen: 61 }), env())).toBe(true);
  });
  it('ttl: eq, ne, lt, gt', () => {
    const s = skbOf({ ipTtl: 63 });
    expect(evalMatch(matchOf('-m ttl --ttl-eq 63'), s, env())).toBe(true);
    expect(evalMatch(matchOf('-m ttl ! --ttl-eq 63'), s, env())).toBe(false);
    expect(evalMatch(matchOf('-m ttl --ttl-lt 64'), s, env())).toBe(true);
    expect(evalMatch(matchOf('-m ttl --ttl-gt 63'), s, env())).toBe(false);
  });
});

describe('tos, dscp, pkttype, mac, tcpmss', () => {
  it('tos: (tos & mask) == value; dscp: tos >> 2', () => {
    const s = skbOf({ ipTos: 0xb8 }); // DSCP 46 (EF)
    expect(evalMatch(matchOf('-m dscp --dscp-class EF'), s, env())).toBe(true);
    expect(evalMatch(matchOf('-m dscp ! --dscp 46'), s, env())).toBe(false);
    expect(evalMatch(matchOf('-m tos --tos 0x38/0x3f'), s, env())).toBe(true);
    expect(evalMatch(matchOf('-m tos --tos 0xb8'), s, env())).toBe(true);
    expect(evalMatch(matchOf('-m tos --tos Minimize-Delay'), s, env())).toBe(false);
  });
  it('pkttype: link-level type, loopback packets by destination', () => {
    expect(evalMatch(matchOf('-m pkttype --pkt-type broadcast'), skbOf({}, { pktType: 1 }), env())).toBe(true);
    expect(evalMatch(matchOf('-m pkttype --pkt-type unicast'), skbOf({}, { pktType: 0 }), env())).toBe(true);
    expect(evalMatch(matchOf('-m pkttype --pkt-type multicast'), skbOf({ daddr: '224.0.0.251' }, { pktType: 5 }), env())).toBe(true);
    expect(evalMatch(matchOf('-m pkttype ! --pkt-type multicast'), skbOf({ daddr: '10.0.0.1' }, { pktType: 5 }), env())).toBe(true);
  });
  it('mac: source MAC of an Ethernet frame, false without a link header', () => {
    const m = matchOf('-m mac --mac-source 02:42:AC:11:00:02');
    expect(evalMatch(m, skbOf({ srcMacHi: 0x0242, srcMacLo: 0xac110002 }), env())).toBe(true);
    expect(evalMatch(m, skbOf({ srcMacHi: 0x0242, srcMacLo: 0xac110003 }), env())).toBe(false);
    expect(evalMatch(m, skbOf({ srcMacHi: 0x0242, srcMacLo: 0xac110002, l2Len: 0 }), env())).toBe(false);
    expect(parseOne('-m mac --mac-source 02:42:ac:11:00:02', 'filter', 'OUTPUT').issues[0]?.code).toBe('ERR_RULE_WRONG_HOOK');
  });
  it('tcpmss: MSS option value; without the option only the inverted test matches', () => {
    expect(evalMatch(matchOf('-p tcp -m tcpmss --mss 1400:1460'), skbOf({ tcpMssOff: 54, tcpMss: 1460 }), env())).toBe(true);
    expect(evalMatch(matchOf('-p tcp -m tcpmss --mss 1400:1459'), skbOf({ tcpMssOff: 54, tcpMss: 1460 }), env())).toBe(false);
    expect(evalMatch(matchOf('-p tcp -m tcpmss --mss 1400'), skbOf({ tcpMssOff: -1 }), env())).toBe(false);
    expect(evalMatch(matchOf('-p tcp -m tcpmss ! --mss 1400'), skbOf({ tcpMssOff: -1 }), env())).toBe(true);
  });
});

describe('comment, mark, connmark', () => {
  it('comment always matches', () => {
    expect(evalMatch(matchOf('-m comment --comment "x y"'), skbOf(), env())).toBe(true);
  });
  it('mark: (skb.mark & mask) == value', () => {
    const m = matchOf('-m mark --mark 0x4000/0x4000');
    expect(evalMatch(m, skbOf({}, { mark: 0x4001 }), env())).toBe(true);
    expect(evalMatch(m, skbOf({}, { mark: 0x8000 }), env())).toBe(false);
    expect(evalMatch(matchOf('-m mark ! --mark 0x4000/0x4000'), skbOf({}, { mark: 0x8000 }), env())).toBe(true);
    expect(evalMatch(matchOf('-m mark --mark 0xffffffff'), skbOf({}, { mark: 0xffffffff }), env())).toBe(true);
  });
  it('connmark: the entry mark; false without an entry even when inverted', () => {
    const m = matchOf('-m connmark --mark 1/0xff');
    expect(evalMatch(m, skbOf({}, { ct: 3, ctMark: 0x101 }), env())).toBe(true);
    expect(evalMatch(m, skbOf({}, { ct: -1, ctMark: 0x101 }), env())).toBe(false);
    expect(evalMatch(matchOf('-m connmark ! --mark 1'), skbOf({}, { ct: -1 }), env())).toBe(false);
  });
});

describe('addrtype', () => {
  it('asks the host for the type of the source/destination address', () => {
    const e = new TestMatchEnv({ local: [['198.51.100.1', -1]] });
    const dst = matchOf('-m addrtype --dst-type LOCAL');
    expect(evalMatch(dst, skbOf({ daddr: '198.51.100.1' }), e)).toBe(true);
    expect(evalMatch(dst, skbOf({ daddr: '198.51.100.2' }), e)).toBe(false);
    expect(evalMatch(matchOf('-m addrtype ! --src-type LOCAL --dst-type UNICAST'), skbOf({ saddr: '10.0.0.1', daddr: '8.8.8.8' }), e)).toBe(true);
  });
  it('limits the lookup to the input device with --limit-iface-in', () => {
    const e = new TestMatchEnv({ local: [['172.17.0.1', 4]] });
    const m = matchOf('-m addrtype --dst-type LOCAL --limit-iface-in');
    expect(evalMatch(m, skbOf({ daddr: '172.17.0.1' }, { inIf: 4 }), e)).toBe(true);
    expect(evalMatch(m, skbOf({ daddr: '172.17.0.1' }, { inIf: 2 }), e)).toBe(false);
  });
});

describe('rpfilter', () => {
  // interfaces 0 lo, 1 eth0, 2 docker0; 10.0.0.9's route back leaves by eth0, 172.17.0.1 is not routed back
  const rp = (): TestMatchEnv => new TestMatchEnv({ names: ['lo', 'eth0', 'docker0'], routesBack: [['10.0.0.9', 1]] });
  const from = (saddr: string, inIf: number, daddr = '10.0.0.1') => skbOf({ saddr, daddr }, { inIf });
  const raw = (rule: string) => matchOf(rule, 'raw', 'PREROUTING');
  it('strict: the route back must leave by the input device; --loose: by any', () => {
    expect(evalMatch(raw('-m rpfilter'), from('10.0.0.9', 1), rp())).toBe(true);
    expect(evalMatch(raw('-m rpfilter'), from('10.0.0.9', 2), rp())).toBe(false);
    expect(evalMatch(raw('-m rpfilter --loose'), from('10.0.0.9', 2), rp())).toBe(true);
    expect(evalMatch(raw('-m rpfilter --loose'), from('172.17.0.1', 2), rp())).toBe(false);
    expect(evalMatch(raw('-m rpfilter --invert'), from('10.0.0.9', 2), rp())).toBe(true);
  });
  it('lets loopback traffic and 0.0.0.0 to broadcast or 224.0.0.0/24 pass', () => {
    expect(evalMatch(raw('-m rpfilter'), from('172.17.0.1', 0), rp())).toBe(true);
    expect(evalMatch(raw('-m rpfilter --invert'), from('172.17.0.1', 0), rp())).toBe(false);
    expect(evalMatch(raw('-m rpfilter'), from('0.0.0.0', 2, '255.255.255.255'), rp())).toBe(true);
    expect(evalMatch(raw('-m rpfilter'), from('0.0.0.0', 2, '224.0.0.22'), rp())).toBe(true);
    expect(evalMatch(raw('-m rpfilter'), from('0.0.0.0', 2, '224.0.1.22'), rp())).toBe(false);
  });
  it('prints flags in libxt_rpfilter order and is refused outside raw/mangle PREROUTING', () => {
    const m = matchOf('-m rpfilter --invert --accept-local --loose', 'mangle', 'PREROUTING');
    expect(m.module.print(m.data, { family: 4 })).toBe('--loose --accept-local --invert');
    expect(parseOne('-m rpfilter', 'filter', 'INPUT').issues.length).toBeGreaterThan(0);
    expect(parseOne('-m rpfilter', 'raw', 'OUTPUT').issues[0]?.code).toBe('ERR_RULE_WRONG_HOOK');
  });
});

describe('policy', () => {
  it('without IPsec in the model only --pol none matches, in either direction', () => {
    const s = skbOf({ saddr: '10.0.0.9' });
    expect(evalMatch(matchOf('-m policy --dir in --pol none', 'filter', 'INPUT'), s, env())).toBe(true);
    expect(evalMatch(matchOf('-m policy --dir in --pol ipsec', 'filter', 'INPUT'), s, env())).toBe(false);
    expect(evalMatch(matchOf('-m policy --dir out --pol none', 'filter', 'FORWARD'), s, env())).toBe(true);
  });
  it('parses elements as libxt_policy does and refuses what it refuses', () => {
    expect(printOf('-m policy --dir in --pol ipsec --strict ! --reqid 1 --spi 16 --proto 50 --mode tunnel --tunnel-src 10.1.2.3 --tunnel-dst 10.0.0.0/8 --next --mode transport'))
      .toBe('--dir in --pol ipsec --strict ! --reqid 1 --spi 0x10 --proto esp --mode tunnel --tunnel-dst 10.0.0.0/8 --tunnel-src 10.1.2.3 --next --mode transport');
    expect(parseOne('-m policy --pol none').issues[0]?.message).toMatch(/neither --dir in nor --dir out/);
    expect(parseOne('-m policy --dir in --pol none --proto esp').issues[0]?.message).toMatch(/policy none but policy given/);
    expect(parseOne('-m policy --dir in --pol ipsec --proto tcp').issues[0]?.message).toMatch(/ah\/esp\/ipcomp/);
    expect(parseOne('-m policy --dir in --pol ipsec --mode tunnel --next --mode tunnel').issues.length).toBeGreaterThan(0); // --next needs --strict
    expect(parseOne('-m policy --dir out --pol none', 'filter', 'INPUT').issues[0]?.code).toBe('ERR_RULE_WRONG_HOOK');
  });
});

describe('owner', () => {
  const out = (rule: string) => matchOf(rule, 'filter', 'OUTPUT');
  const forwarded = () => skbOf({}, { sock: 0 });
  const hostAnswer = () => skbOf({}, { sock: 1 }); // the kernel's ICMP or RST control socket
  it('a packet without a socket matches only fully inverted tests', () => {
    expect(evalMatch(out('-m owner --socket-exists'), forwarded(), env())).toBe(false);
    expect(evalMatch(out('-m owner ! --socket-exists'), forwarded(), env())).toBe(true);
    expect(evalMatch(out('-m owner ! --uid-owner 0'), forwarded(), env())).toBe(true);
    expect(evalMatch(out('-m owner ! --uid-owner 0 --socket-exists'), forwarded(), env())).toBe(false);
  });
  it("a kernel socket exists but has no owner: only inverted uid/gid tests match", () => {
    expect(evalMatch(out('-m owner --socket-exists'), hostAnswer(), env())).toBe(true);
    expect(evalMatch(out('-m owner ! --socket-exists'), hostAnswer(), env())).toBe(false);
    expect(evalMatch(out('-m owner --uid-owner 0'), hostAnswer(), env())).toBe(false);
    expect(evalMatch(out('-m owner ! --gid-owner 0-10'), hostAnswer(), env())).toBe(true);
  });
  it('parses as libxt_owner: root is 0, other names are refused offline, --suppl-groups follows --gid-owner', () => {
    const m = out('-m owner ! --uid-owner root --socket-exists');
    expect(m.module.print(m.data, { family: 4 })).toBe('--socket-exists ! --uid-owner 0');
    expect(parseOne('-m owner --uid-owner www-data', 'filter', 'OUTPUT').issues[0]?.message).toMatch(/cannot be resolved offline/);
    expect(parseOne('-m owner --suppl-groups --gid-owner 5', 'filter', 'OUTPUT').issues.length).toBeGreaterThan(0);
    expect(parseOne('-m owner --uid-owner 0', 'filter', 'INPUT').issues[0]?.code).toBe('ERR_RULE_WRONG_HOOK');
  });
});

describe('sctp', () => {
  /** An IPv4/SCTP packet from port 5000 to 9999 whose chunks are [type, flags, length] (padded to 4). */
  const sctp = (chunks: Array<[number, number, number]>) => {
    const data = new Uint8Array(512);
    let off = 14 + 20 + 12;
    data.set([0x13, 0x88, 0x27, 0x0f], 34);
    for (const [type, flags, len] of chunks) {
      data.set([type, flags, len >> 8, len & 0xff], off);
      off += (len + 3) & ~3;
    }
    return skbOf({ data, caplen: off, frameOff: 0, ipProto: 132, ipTotalLen: off - 14, l4Off: 34, l4Len: off - 34, sport: 5000, dport: 9999 });
  };
  const m = (rule: string) => matchOf(`-p sctp -m sctp ${rule}`);
  it('matches ports as kube-proxy writes them', () => {
    expect(evalMatch(m('--dport 9999'), sctp([[1, 0, 20]]), env())).toBe(true);
    expect(evalMatch(m('! --dport 9999'), sctp([[1, 0, 20]]), env())).toBe(false);
    expect(evalMatch(m('--sport 1:4999'), sctp([[1, 0, 20]]), env())).toBe(false);
  });
  it('walks the chunks for all, any and only, with flag conditions', () => {
    const p = sctp([[0, 0x03, 20], [3, 0, 16]]); // DATA with B and E set, then SACK
    expect(evalMatch(m('--chunk-types any INIT,SACK'), p, env())).toBe(true);
    expect(evalMatch(m('--chunk-types all DATA,SACK'), p, env())).toBe(true);
    expect(evalMatch(m('--chunk-types all DATA,INIT'), p, env())).toBe(false);
    expect(evalMatch(m('--chunk-types only DATA'), p, env())).toBe(false);
    expect(evalMatch(m('--chunk-types only DATA,SACK'), p, env())).toBe(true);
    expect(evalMatch(m('--chunk-types any DATA:Be'), p, env())).toBe(false); // E is set
    expect(evalMatch(m('--chunk-types any DATA:BE'), p, env())).toBe(true);
    expect(evalMatch(m('! --chunk-types any INIT'), p, env())).toBe(true);
  });
  it('drops a packet whose chunk has length 0 (hotdrop)', () => {
    const e = env();
    expect(evalMatch(m('--chunk-types any INIT'), sctp([[1, 0, 0]]), e)).toBe(false);
    expect(e.hotdrop).toBe(1);
  });
  it('prints as libxt_sctp saves', () => {
    const x = m('! --dport 80:90 --chunk-types only data:bE,SACK');
    expect(x.module.print(x.data, { family: 4 })).toBe('! --dport 80:90 --chunk-types only DATA:bE,SACK');
  });
});

import { describe, expect, it } from 'vitest';
import { TcpState, Tuple } from '../../../src/netfilter/conntrack/api.js';
import { CtInfo, CtStatus, NONE } from '../../../src/netfilter/skb.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';
import { F, skbOf, tcp, udp } from './pkt.js';
import { newCt, statsOf } from './run.js';

const US = 1000;
const C = 10 * US;
const A = '172.17.0.2';
const B = '198.51.100.10';

/** in() + confirm(f = s + c), as the reference executor runs one packet. */
function run(ct: ReturnType<typeof newCt>, bytes: Uint8Array, s: number, vcpu: number) {
  const p = skbOf(bytes, s, vcpu);
  ct.in(p, 0);
  if (p.ct !== NONE) ct.confirm(p, s + C);
  return p;
}

describe('vCPU visibility model', () => {
  it('a new entry is visible to its own vCPU at once and to the others from the creator\'s finish time', () => {
    const ct = newCt({ cpus: 2, serviceNs: C });
    const a = run(ct, udp(A, 5000, B, 9999), 0, 0);
    const orig = new Tuple(parseIpv4(A), parseIpv4(B), 5000, 9999, 17);
    expect(ct.findHash(orig, { vcpu: 0, nowNs: 1 * US })).toBe(a.ct * 2);
    expect(ct.findHash(orig, { vcpu: 1, nowNs: 9 * US })).toBe(-1);
    expect(ct.findHash(orig, { vcpu: 1, nowNs: 10 * US })).toBe(a.ct * 2);
    // NAT's uniqueness check follows the same rule, and counts `found` on the asking CPU
    const reply = new Tuple(parseIpv4(B), parseIpv4(A), 9999, 5000, 17);
    expect(ct.tupleTaken(reply, -1, { vcpu: 1, nowNs: 9 * US })).toBe(false);
    expect(ct.tupleTaken(reply, -1, { vcpu: 1, nowNs: 10 * US })).toBe(true);
    expect(ct.tupleTaken(reply, -1, { vcpu: 0, nowNs: 2 * US })).toBe(true);
    expect([statsOf(ct, 0).found, statsOf(ct, 1).found]).toEqual([1, 1]);
  });

  it('changes (TCP state, SEEN_REPLY) reach the other vCPU only at the writer\'s finish time', () => {
    const ct = newCt({ cpus: 2, serviceNs: C });
    const syn = run(ct, tcp(A, 40000, B, 80, { flags: F.SYN, seq: 1000 }), 0, 0);
    const e = syn.ct;
    // the SYN/ACK runs on CPU 1 at 20 µs (it sees the entry: 20 ≥ 10)
    const synack = run(ct, tcp(B, 80, A, 40000, { flags: F.SYN | F.ACK, seq: 5000, ack: 1001 }), 20 * US, 1);
    expect(synack.ct).toBe(e);
    expect(ct.tcpState(e, { vcpu: 1, nowNs: 20 * US })).toBe(TcpState.SYN_RECV);
    expect(ct.tcpState(e, { vcpu: 0, nowNs: 25 * US })).toBe(TcpState.SYN_SENT);
    expect(ct.tcpState(e, { vcpu: 0, nowNs: 30 * US })).toBe(TcpState.SYN_RECV);
    expect(ct.status(e, { vcpu: 0, nowNs: 29 * US }) & CtStatus.SEEN_REPLY).toBe(0);
    expect(ct.status(e, { vcpu: 0, nowNs: 30 * US }) & CtStatus.SEEN_REPLY).toBe(CtStatus.SEEN_REPLY);

    // the client's ACK on CPU 0 at 25 µs still sees SYN_SENT: an ACK there is INVALID
    const early = run(ct, tcp(A, 40000, B, 80, { flags: F.ACK, seq: 1001, ack: 5001 }), 25 * US, 0);
    expect(early.ct).toBe(NONE);
    expect(statsOf(ct, 0).invalid).toBe(1);
    // 10 µs later the SYN/ACK is visible: ESTABLISHED, ASSURED, ctinfo ESTABLISHED
    const ack = run(ct, tcp(A, 40000, B, 80, { flags: F.ACK, seq: 1001, ack: 5001 }), 35 * US, 0);
    expect(ack.ct).toBe(e);
    expect(ack.ctInfo).toBe(CtInfo.ESTABLISHED);
    expect(ct.tcpState(e, ack)).toBe(TcpState.ESTABLISHED);
    expect(ct.status(e, ack) & CtStatus.ASSURED).toBe(CtStatus.ASSURED);
    expect(ct.tcpState(e, { vcpu: 1, nowNs: 40 * US })).toBe(TcpState.SYN_RECV);
    expect(ct.tcpState(e, { vcpu: 1, nowNs: 45 * US })).toBe(TcpState.ESTABLISHED);
    expect(ct.dump(1e9)[0]!.state).toBe('ESTABLISHED');
  });

  it('marks follow the same rule, and deletions are seen by others only from the killer\'s finish', () => {
    const ct = newCt({ cpus: 2, serviceNs: C });
    const a = run(ct, udp(A, 5000, B, 9999), 0, 0);
    ct.setMark(a.ct, 7, { vcpu: 1, nowNs: 40 * US });
    expect(ct.mark(a.ct, { vcpu: 1, nowNs: 41 * US })).toBe(7);
    expect(ct.mark(a.ct, { vcpu: 0, nowNs: 45 * US })).toBe(0);
    expect(ct.mark(a.ct, { vcpu: 0, nowNs: 50 * US })).toBe(7);

    const orig = new Tuple(parseIpv4(A), parseIpv4(B), 5000, 9999, 17);
    expect(ct.kill(a.ct, { vcpu: 0, nowNs: 60 * US })).toBe(true);
    expect(ct.kill(a.ct, { vcpu: 0, nowNs: 60 * US })).toBe(false);
    expect(ct.findHash(orig, { vcpu: 0, nowNs: 61 * US })).toBe(-1);
    expect(ct.findHash(orig, { vcpu: 1, nowNs: 65 * US })).toBe(a.ct * 2);
    expect(ct.findHash(orig, { vcpu: 1, nowNs: 70 * US })).toBe(-1);
    expect(ct.count()).toBe(0);
  });

  it('with one vCPU everything is visible at once', () => {
    const ct = newCt({ cpus: 1, serviceNs: C });
    const a = run(ct, udp(A, 5000, B, 9999), 0, 0);
    const b = skbOf(udp(A, 5000, B, 9999), 1 * US, 0);
    ct.in(b, 0);
    expect(b.ct).toBe(a.ct);
    expect(ct.confirm(b, 1 * US + C)).toBe(0 + 1);
    expect(statsOf(ct).clash_resolve).toBe(0);
  });
});

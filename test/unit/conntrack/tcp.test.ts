import { describe, expect, it } from 'vitest';
import { TcpState } from '../../../src/netfilter/conntrack/api.js';
import { CtInfo, CtStatus, Hook, NONE, Verdict } from '../../../src/netfilter/skb.js';
import { F, SEC, skbOf, tcp } from './pkt.js';
import { entry, newCt, pass, statsOf } from './run.js';

const C = '172.17.0.2';
const S = '198.51.100.10';
const CP = 40000;
// MSS 1460, SACK permitted, window scale 7
const SYN_OPTS = [2, 4, 5, 180, 4, 2, 1, 3, 3, 7];

/** Client → server and server → client segments at time t (seconds). */
const c2s = (t: number, flags: number, seq: number, ack = 0, len = 0, extra: { options?: number[]; win?: number } = {}) =>
  skbOf(tcp(C, CP, S, 80, { flags, seq, ack, len, ...extra }), t * SEC);
const s2c = (t: number, flags: number, seq: number, ack = 0, len = 0, extra: { options?: number[]; win?: number } = {}) =>
  skbOf(tcp(S, 80, C, CP, { flags, seq, ack, len, ...extra }), t * SEC);

/** State name and whole seconds left, dumped at time `at` (seconds). */
function stateAt(ct: ReturnType<typeof newCt>, at: number): [string, number] {
  const e = entry(ct, at * SEC, CP);
  return e === undefined ? ['gone', -1] : [e.state, e.timeout];
}

describe('TCP tracker: a full connection (5.4 timeouts)', () => {
  it('walks SYN_SENT → SYN_RECV → ESTABLISHED → FIN_WAIT → CLOSE_WAIT → LAST_ACK → TIME_WAIT', () => {
    const ct = newCt();
    const syn = c2s(0, F.SYN, 1000, 0, 0, { options: SYN_OPTS });
    expect(pass(ct, syn)).toBe(Verdict.ACCEPT);
    expect(syn.ctInfo).toBe(CtInfo.NEW);
    expect(stateAt(ct, 0)).toEqual(['SYN_SENT', 120]);

    const synack = s2c(1, F.SYN | F.ACK, 5000, 1001, 0, { options: SYN_OPTS });
    expect(pass(ct, synack)).toBe(Verdict.ACCEPT);
    expect(synack.ctInfo).toBe(CtInfo.ESTABLISHED_REPLY);
    expect(stateAt(ct, 1)).toEqual(['SYN_RECV', 60]);

    const ack = c2s(2, F.ACK, 1001, 5001);
    pass(ct, ack);
    expect(ack.ctInfo).toBe(CtInfo.ESTABLISHED);
    expect(stateAt(ct, 2)).toEqual(['ESTABLISHED', 432000]);
    expect(ct.status(ack.ct, ack) & CtStatus.ASSURED).toBe(CtStatus.ASSURED);

    // 100 unacknowledged bytes: the 300 s UNACK cap; the server's ACK lifts it
    pass(ct, c2s(3, F.ACK | F.PSH, 1001, 5001, 100));
    expect(stateAt(ct, 3)).toEqual(['ESTABLISHED', 300]);
    pass(ct, s2c(4, F.ACK, 5001, 1101));
    expect(stateAt(ct, 4)).toEqual(['ESTABLISHED', 432000]);

    pass(ct, c2s(5, F.FIN | F.ACK, 1101, 5001));
    expect(stateAt(ct, 5)).toEqual(['FIN_WAIT', 120]);
    pass(ct, s2c(6, F.ACK, 5001, 1102));
    expect(stateAt(ct, 6)).toEqual(['CLOSE_WAIT', 60]);
    pass(ct, s2c(7, F.FIN | F.ACK, 5001, 1102));
    expect(stateAt(ct, 7)).toEqual(['LAST_ACK', 30]);
    pass(ct, c2s(8, F.ACK, 1102, 5002));
    expect(stateAt(ct, 8)).toEqual(['TIME_WAIT', 120]);
    // dumped half a second later the kernel shows 119, as in the oracle's TIME_WAIT lines
    expect(stateAt(ct, 8.5)).toEqual(['TIME_WAIT', 119]);

    const e = entry(ct, 8 * SEC, CP)!;
    expect([e.original.packets, e.reply.packets]).toEqual([5, 4]);
    // bytes = IP total length: SYN 52, ACK 40, data 140, FIN 40, ACK 40 ; SYN/ACK 52, ACK, FIN 40 each
    expect([e.original.bytes, e.reply.bytes]).toEqual([52 + 40 + 140 + 40 + 40, 52 + 40 + 40 + 40]);
    expect(statsOf(ct).invalid).toBe(0);
  });

  it('a RST moves an established connection to CLOSE with 10 s', () => {
    const ct = newCt();
    pass(ct, c2s(0, F.SYN, 1000));
    pass(ct, s2c(0.1, F.SYN | F.ACK, 5000, 1001));
    pass(ct, c2s(0.2, F.ACK, 1001, 5001));
    pass(ct, s2c(0.3, F.RST, 5001));
    expect(stateAt(ct, 0.3)).toEqual(['CLOSE', 10]);
  });

  it('reopens from TIME_WAIT: the old entry dies and a new SYN_SENT entry replaces it', () => {
    const ct = newCt();
    pass(ct, c2s(0, F.SYN, 1000));
    pass(ct, s2c(0, F.SYN | F.ACK, 5000, 1001));
    pass(ct, c2s(0, F.ACK, 1001, 5001));
    pass(ct, c2s(0, F.FIN | F.ACK, 1001, 5001));
    pass(ct, s2c(0, F.FIN | F.ACK, 5001, 1002));
    pass(ct, c2s(0, F.ACK, 1002, 5002));
    expect(stateAt(ct, 1)).toEqual(['TIME_WAIT', 119]);
    const syn = c2s(10, F.SYN, 900000);
    expect(pass(ct, syn)).toBe(Verdict.ACCEPT);
    expect(syn.ctInfo).toBe(CtInfo.NEW);
    const list = ct.dump(10 * SEC);
    expect(list.map((e) => [e.state, e.timeout, e.original.packets])).toEqual([['SYN_SENT', 120, 1]]);
    expect(statsOf(ct).invalid).toBe(0);
  });

  it('a SYN retransmit neither refreshes the SYN_SENT timer nor counts', () => {
    const ct = newCt();
    pass(ct, c2s(0, F.SYN, 1000));
    pass(ct, c2s(3, F.SYN, 1000));
    const e = entry(ct, 3 * SEC, CP)!;
    expect([e.state, e.timeout, e.original.packets]).toEqual(['SYN_SENT', 117, 1]);
  });

  it('an unreplied connection answered only by a RST is deleted at once', () => {
    const ct = newCt();
    pass(ct, c2s(0, F.SYN, 1000));
    const rst = s2c(0.001, F.RST | F.ACK, 0, 1001);
    expect(pass(ct, rst)).toBe(Verdict.ACCEPT);
    expect(rst.ct).not.toBe(NONE); // the RST itself keeps its (dying) entry
    expect(ct.dump(0.001 * SEC)).toEqual([]);
    expect(ct.count()).toBe(0);
  });
});

describe('TCP tracker: pickup, invalid packets, windows', () => {
  it('picks up a mid-stream ACK with loose=1: ESTABLISHED, 300 s, unreplied', () => {
    const ct = newCt();
    const a = c2s(0, F.ACK | F.PSH, 123456, 654321, 50);
    pass(ct, a);
    expect(a.ctInfo).toBe(CtInfo.NEW);
    const e = entry(ct, 1 * SEC, CP)!;
    expect([e.state, e.timeout, e.status & CtStatus.SEEN_REPLY]).toEqual(['ESTABLISHED', 299, 0]);
    // the reply makes it two-way; the next packet sets ASSURED and the 5-day timeout
    pass(ct, s2c(2, F.ACK, 654321, 123506));
    expect(stateAt(ct, 2)).toEqual(['ESTABLISHED', 300]);
    pass(ct, c2s(3, F.ACK, 123506, 654321));
    expect(stateAt(ct, 3)).toEqual(['ESTABLISHED', 432000]);
  });

  it('refuses pickup with loose=0', () => {
    const ct = newCt({ sysctls: { tcpLoose: 0 } });
    const a = c2s(0, F.ACK, 1, 1);
    expect(pass(ct, a)).toBe(Verdict.ACCEPT);
    expect(a.ct).toBe(NONE);
    expect(statsOf(ct).invalid).toBe(1);
    expect(ct.count()).toBe(0);
  });

  it('marks illegal flag combinations, lone FINs and lone SYN/ACKs INVALID without an entry', () => {
    const ct = newCt();
    for (const flags of [F.SYN | F.FIN, F.SYN | F.RST, F.FIN, 0, F.SYN | F.ACK, F.RST, F.FIN | F.PSH | F.URG]) {
      const p = c2s(0, flags, 1, 1);
      expect(pass(ct, p)).toBe(Verdict.ACCEPT);
      expect(p.ct).toBe(NONE);
    }
    expect(statsOf(ct).invalid).toBe(7);
    expect(ct.count()).toBe(0);
  });

  it('treats a bad checksum as INVALID at PRE_ROUTING only', () => {
    const ct = newCt();
    const bad = skbOf(tcp(C, CP, S, 80, { flags: F.SYN, seq: 1, badCsum: true }), 0);
    pass(ct, bad, Hook.PRE_ROUTING);
    expect(bad.ct).toBe(NONE);
    const out = skbOf(tcp(C, CP, S, 80, { flags: F.SYN, seq: 1, badCsum: true }), 0);
    pass(ct, out, Hook.LOCAL_OUT);
    expect(out.ct).not.toBe(NONE);
    const off = newCt({ sysctls: { conntrackChecksum: 0 } });
    const bad2 = skbOf(tcp(C, CP, S, 80, { flags: F.SYN, seq: 1, badCsum: true }), 0);
    pass(off, bad2);
    expect(bad2.ct).not.toBe(NONE);
  });

  it('marks a segment beyond the receive window INVALID and leaves the entry alone', () => {
    const ct = newCt();
    pass(ct, c2s(0, F.SYN, 1000, 0, 0, { win: 1000 }));
    pass(ct, s2c(0, F.SYN | F.ACK, 5000, 1001, 0, { win: 1000 }));
    pass(ct, c2s(0, F.ACK, 1001, 5001, 0, { win: 1000 }));
    // the server advertised 1000 bytes: data starting 10 MB ahead is over the upper bound
    const far = c2s(1, F.ACK, 1001 + 10_000_000, 5001, 10);
    expect(pass(ct, far)).toBe(Verdict.ACCEPT);
    expect(far.ct).toBe(NONE);
    // an ACK for data the server never sent is over the ACK upper bound
    const ackFuture = c2s(1, F.ACK, 1001, 5001 + 10_000_000);
    pass(ct, ackFuture);
    expect(ackFuture.ct).toBe(NONE);
    expect(statsOf(ct).invalid).toBe(2);
    expect(stateAt(ct, 1)).toEqual(['ESTABLISHED', 431999]);
    // with be_liberal the same packets pass
    const lib = newCt({ sysctls: { tcpBeLiberal: 1 } });
    pass(lib, c2s(0, F.SYN, 1000, 0, 0, { win: 1000 }));
    pass(lib, s2c(0, F.SYN | F.ACK, 5000, 1001, 0, { win: 1000 }));
    pass(lib, c2s(0, F.ACK, 1001, 5001, 0, { win: 1000 }));
    const far2 = c2s(1, F.ACK, 1001 + 10_000_000, 5001, 10);
    pass(lib, far2);
    expect(far2.ct).not.toBe(NONE);
  });

  it('honours window scaling from the handshake', () => {
    const ct = newCt();
    // both sides scale by 2^7; the server's raw window 100 means 12800 bytes
    pass(ct, c2s(0, F.SYN, 1000, 0, 0, { options: SYN_OPTS, win: 100 }));
    pass(ct, s2c(0, F.SYN | F.ACK, 5000, 1001, 0, { options: SYN_OPTS, win: 100 }));
    pass(ct, c2s(0, F.ACK, 1001, 5001, 0, { win: 100 }));
    pass(ct, s2c(0, F.ACK, 5001, 1001, 0, { win: 100 }));
    // 12000 bytes ahead is inside the scaled window, 20000 bytes ahead is not
    const inside = c2s(1, F.ACK, 1001 + 12000, 5001, 10, { win: 100 });
    pass(ct, inside);
    expect(inside.ct).not.toBe(NONE);
    const outside = c2s(1, F.ACK, 1001 + 40000, 5001, 10, { win: 100 });
    pass(ct, outside);
    expect(outside.ct).toBe(NONE);
  });

  it('ignores a SYN in ESTABLISHED without changing state', () => {
    const ct = newCt();
    pass(ct, c2s(0, F.SYN, 1000));
    pass(ct, s2c(0, F.SYN | F.ACK, 5000, 1001));
    pass(ct, c2s(0, F.ACK, 1001, 5001));
    const again = c2s(5, F.SYN, 77777);
    pass(ct, again);
    expect(again.ct).not.toBe(NONE);
    expect(ct.tcpState(again.ct, again)).toBe(TcpState.ESTABLISHED);
    expect(stateAt(ct, 5)).toEqual(['ESTABLISHED', 431995]);
  });
});

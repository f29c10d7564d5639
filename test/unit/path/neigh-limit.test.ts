// The neighbour state machine (net/core/neighbour.c timings: retrans 1 s, 3 probes, delay_first_probe 5 s)
// and ICMP rate limiting (inet_peer_xrlim_allow: a burst of 6 messages, then one per icmp_ratelimit = 1 s).
import { describe, expect, it } from 'vitest';
import { NeighTable, NeighVerdict, Nud } from '../../../src/netfilter/path/neigh.js';
import type { NeighEvents } from '../../../src/netfilter/path/neigh.js';
import { Pkt } from '../../../src/netfilter/path/pkt.js';
import { IcmpLimiter } from '../../../src/netfilter/path/icmp-limit.js';
import { defaultSysctls } from '../../../src/host/sysctl.js';
import { Prng } from '../../../src/util/prng.js';

function recorder() {
  const log: string[] = [];
  const ev: NeighEvents = {
    arpRequest: (_dev, _addr, hi, _lo, now) => log.push(`arp ${hi < 0 ? 'broadcast' : 'unicast'} @${now / 1e9}`),
    failed: (_p, now) => log.push(`failed @${now / 1e9}`),
    resolved: (_p, _e, now) => log.push(`resolved @${now / 1e9}`),
  };
  return { log, ev };
}

describe('neighbour cache', () => {
  it('queues while INCOMPLETE and sends the queue when the reply arrives', () => {
    const { log, ev } = recorder();
    const t = new NeighTable(new Prng(1), ev, []);
    const e = t.entry(3, 0xac110002);
    expect(t.output(e, 0)).toBe(NeighVerdict.QUEUED);
    t.queue(e, new Pkt(), () => log.push('evicted'));
    t.confirm(3, 0xac110002, 0x0242, 0xac110002, 0.1e6);
    expect(log).toEqual(['arp broadcast @0', 'resolved @0.0001']);
    expect(e.state).toBe(Nud.REACHABLE);
    // the queued packet went out through the resolve path, so the header is cached now
    expect(t.output(e, 0.2e6)).toBe(NeighVerdict.SEND_FAST);
  });

  it('runs due timers of every entry in deadline order without the entries being touched', () => {
    const { log, ev } = recorder();
    const t = new NeighTable(new Prng(1), ev, []);
    const a = t.entry(2, 0xc6336414);
    const b = t.entry(2, 0xc6336415);
    t.output(a, 0);
    t.queue(a, new Pkt(), () => undefined);
    t.output(b, 0.5e9);
    t.queue(b, new Pkt(), () => undefined);
    t.runTimers(0.9e9);
    expect(log).toEqual(['arp broadcast @0', 'arp broadcast @0.5']);
    t.runTimers(3.2e9);
    expect(log).toEqual(['arp broadcast @0', 'arp broadcast @0.5', 'arp broadcast @1', 'arp broadcast @1.5', 'arp broadcast @2', 'arp broadcast @2.5', 'failed @3']);
    t.runTimers(10e9);
    expect(log.slice(7)).toEqual(['failed @3.5']);
    expect([a.state, b.state]).toEqual([Nud.FAILED, Nud.FAILED]);
  });

  it('fails after three probes one second apart and drops the queue', () => {
    const { log, ev } = recorder();
    const t = new NeighTable(new Prng(1), ev, []);
    const e = t.entry(2, 0xc6336414);
    t.output(e, 0);
    t.queue(e, new Pkt(), () => undefined);
    t.tick(e, 3.5e9);
    expect(log).toEqual(['arp broadcast @0', 'arp broadcast @1', 'arp broadcast @2', 'failed @3']);
    expect(e.state).toBe(Nud.FAILED);
  });

  it('sends at once from STALE, then probes by unicast after the 5 s delay', () => {
    const { log, ev } = recorder();
    const t = new NeighTable(new Prng(1), ev, [{ addr: 0xac110003, dev: 3, macHi: 0x0242, macLo: 0xac110003, state: ['STALE'] }]);
    const e = t.peek(3, 0xac110003)!;
    expect(t.output(e, 0)).toBe(NeighVerdict.SEND_RESOLVE);
    expect(e.state).toBe(Nud.DELAY);
    t.tick(e, 5.5e9);
    expect(e.state).toBe(Nud.PROBE);
    expect(log).toEqual(['arp unicast @5']);
  });
});

describe('ICMP rate limit', () => {
  it('lets a burst of 6 dest-unreachables through to one destination, then one per second', () => {
    const l = new IcmpLimiter(defaultSysctls(), new Prng(1));
    const sent: number[] = [];
    for (let i = 0; i < 20; i++) {
      const now = i * 0.1e9; // 10 per second
      if (l.globalAllow(3, 3, now) !== 0 && l.peerAllow(0x01020304, false, now)) sent.push(i);
    }
    expect(sent.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    // afterwards tokens refill at one message per second
    expect(sent.length).toBeGreaterThanOrEqual(7);
    expect(sent.length).toBeLessThanOrEqual(8);
  });

  it('never limits echo replies or frag-needed', () => {
    const l = new IcmpLimiter(defaultSysctls(), new Prng(1));
    for (let i = 0; i < 100; i++) {
      expect(l.globalAllow(0, 0, i)).toBe(1);
      expect(l.globalAllow(3, 4, i)).toBe(1);
    }
  });

  it('spaces host redirects to one sender more than 40, 80, 160 ... ms apart (ip_rt_redirect_load << n), stops after 9, starts over after 20.48 s of silence', () => {
    const l = new IcmpLimiter(defaultSysctls(), new Prng(1));
    const sent: number[] = [];
    // one packet to redirect every 4 ms (one jiffy at HZ 250) for 30 s
    for (let ms = 0; ms <= 30000; ms += 4) if (l.redirectAllow(0xc6336412, ms * 1e6)) sent.push(ms);
    // gaps: more than 20 << n ms after the previous one (load 5 jiffies << n)
    expect(sent.slice(0, 9)).toEqual([0, 44, 128, 292, 616, 1260, 2544, 5108, 10232]);
    // nine sent; then silence is counted from the last refused one, so a steady stream never gets another
    expect(sent.length).toBe(9);
    const quiet = new IcmpLimiter(defaultSysctls(), new Prng(1));
    expect(quiet.redirectAllow(1, 0)).toBe(true);
    expect(quiet.redirectAllow(1, 10e6)).toBe(false);
    expect(quiet.redirectAllow(1, 20.5e9)).toBe(true); // after ip_rt_redirect_silence: back to the first
  });
});

// Link-layer views on byte literals: Ethernet, 802.1Q tags, ARP, Linux SLL and SLL2 — reading every field,
// writing through the setters, and the static length checks on truncated and impossible inputs.

import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/util/bytes.js';
import { EthernetView, ETH_HDR_LEN } from '../../../src/wire/ethernet.js';
import { VlanView, isVlanTpid } from '../../../src/wire/vlan.js';
import { ArpView } from '../../../src/wire/arp.js';
import { SllView, Sll2View } from '../../../src/wire/sll.js';

// dst 02:00:00:00:00:02, src 02:00:00:00:00:01, IPv4
const ETH = '020000000002 020000000001 0800';

describe('EthernetView', () => {
  it('reads addresses and EtherType at an offset', () => {
    const b = fromHex('ffff' + ETH);
    const v = new EthernetView(b, 2);
    expect([v.dstHi, v.dstLo, v.srcHi, v.srcLo, v.etherType]).toEqual([0x0200, 0x00000002, 0x0200, 0x00000001, 0x0800]);
    expect(v.isMulticast).toBe(false);
    expect(v.isBroadcast).toBe(false);
  });

  it('recognises broadcast and multicast destinations', () => {
    expect(new EthernetView(fromHex('ffffffffffff 020000000001 0806')).isBroadcast).toBe(true);
    const mc = new EthernetView(fromHex('01005e000001 020000000001 0800'));
    expect([mc.isMulticast, mc.isBroadcast]).toEqual([true, false]);
  });

  it('writes through its setters', () => {
    const b = fromHex(ETH);
    const v = new EthernetView(b, 0);
    v.setDst(0x0242, 0xac110002);
    v.setSrc(0xffff, 0xffffffff);
    v.etherType = 0x86dd;
    expect(toHex(b)).toBe('0242ac110002ffffffffffff86dd');
  });

  it('length check: 14 bytes needed, inside the buffer', () => {
    const b = fromHex(ETH);
    expect(EthernetView.check(b, 0, ETH_HDR_LEN)).toBe(true);
    expect(EthernetView.check(b, 0, 13)).toBe(false);
    expect(EthernetView.check(b, 1, 14)).toBe(false);
    expect(EthernetView.check(b, -1, 14)).toBe(false);
  });

  it('reset() points the same view at another header', () => {
    const v = new EthernetView();
    expect(v.reset(fromHex(ETH), 0).srcLo).toBe(1);
  });
});

describe('VlanView', () => {
  it('reads PCP, DEI, VLAN id and the inner EtherType', () => {
    const v = new VlanView(fromHex('8100 7064 0800'), 2);
    expect([v.tci, v.pcp, v.dei, v.vid, v.etherType]).toEqual([0x7064, 3, 1, 100, 0x0800]);
  });

  it('setting the VLAN id keeps PCP and DEI', () => {
    const b = fromHex('7064 0800');
    const v = new VlanView(b, 0);
    v.vid = 4093;
    v.etherType = 0x86dd;
    expect(toHex(b)).toBe('7ffd86dd');
    expect([v.pcp, v.dei]).toEqual([3, 1]);
  });

  it('TPIDs and the length check', () => {
    expect([0x8100, 0x88a8, 0x9100, 0x0800, 0x86dd].map(isVlanTpid)).toEqual([true, true, true, false, false]);
    expect(VlanView.check(fromHex('7064 08'), 0, 3)).toBe(false);
    expect(VlanView.check(fromHex('7064 0800'), 0, 4)).toBe(true);
  });
});

describe('ArpView', () => {
  // who-has 10.0.0.2 tell 10.0.0.1 (02:00:00:00:00:01)
  const REQ = '0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002';
  it('reads the Ethernet/IPv4 form', () => {
    const v = new ArpView(fromHex(REQ), 0);
    expect([v.htype, v.ptype, v.hlen, v.plen, v.oper]).toEqual([1, 0x0800, 6, 4, 1]);
    expect(v.isEthernetIpv4).toBe(true);
    expect([v.shaHi, v.shaLo, v.spa, v.thaHi, v.thaLo, v.tpa]).toEqual([0x0200, 1, 0x0a000001, 0, 0, 0x0a000002]);
  });

  it('writes a reply', () => {
    const b = fromHex(REQ);
    const v = new ArpView(b, 0);
    v.oper = 2;
    v.setSha(0x0200, 2);
    v.spa = 0x0a000002;
    v.setTha(0x0200, 1);
    v.tpa = 0x0a000001;
    expect(toHex(b)).toBe('00010800060400020200000000020a0000020200000000010a000001');
  });

  it('length check follows hlen/plen', () => {
    expect(ArpView.check(fromHex(REQ), 0, 28)).toBe(true);
    expect(ArpView.check(fromHex(REQ), 0, 27)).toBe(false);
    const big = fromHex(REQ);
    big[4] = 16; // 8 + 2*16 + 2*4 = 48 bytes needed
    expect(ArpView.check(big, 0, 28)).toBe(false);
    expect(new ArpView(big, 0).isEthernetIpv4).toBe(false);
  });
});

describe('SllView and Sll2View', () => {
  it('SLL: packet type, ARPHRD, address, protocol', () => {
    const v = new SllView(fromHex('0004 0001 0006 020000000001 0000 0800'), 0);
    expect([v.pktType, v.haType, v.haLen, v.addrHi, v.addrLo, v.protocol]).toEqual([4, 1, 6, 0x0200, 1, 0x0800]);
    expect(SllView.check(fromHex('0004 0001 0006 020000000001 0000 08'), 0, 15)).toBe(false);
  });

  it('SLL2: protocol, interface index, ARPHRD, packet type, address', () => {
    const b = fromHex('86dd 0000 00000003 0001 00 06 020000000001 0000');
    const v = new Sll2View(b, 0);
    expect([v.protocol, v.ifIndex, v.haType, v.pktType, v.haLen, v.addrHi, v.addrLo]).toEqual([0x86dd, 3, 1, 0, 6, 0x0200, 1]);
    expect(Sll2View.check(b, 0, 20)).toBe(true);
    expect(Sll2View.check(b, 1, 20)).toBe(false);
  });
});

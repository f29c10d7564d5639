// Zero-copy view over one 802.1Q / 802.1ad tag as it follows a TPID (0x8100, 0x88a8, 0x9100): the 16-bit
// TCI (PCP, DEI, VLAN id) and the EtherType of what comes next. QinQ is two of these in a row.

import { be16, putBe16 } from '../util/bytes.js';
import { EtherType } from './constants.js';
import { ByteView } from './byte-view.js';

/** Offsets inside the 4 bytes that follow the TPID. */
export const VlanOff = { TCI: 0, TYPE: 2 } as const;
/** Bytes a tag adds after the TPID (TCI + inner EtherType). */
export const VLAN_TAG_LEN = 4;

/** Is this EtherType a VLAN TPID nfreplay unwraps? */
export function isVlanTpid(etherType: number): boolean {
  return etherType === EtherType.VLAN || etherType === EtherType.QINQ || etherType === EtherType.QINQ_9100;
}

/** A VLAN tag; `off` is the offset of the TCI (the byte right after the TPID). */
export class VlanView extends ByteView {
  static check(bytes: Uint8Array, off: number, avail: number): boolean {
    return off >= 0 && avail >= VLAN_TAG_LEN && off + VLAN_TAG_LEN <= bytes.length;
  }

  get tci(): number {
    return be16(this.bytes, this.off + VlanOff.TCI);
  }
  /** Priority code point (0-7). */
  get pcp(): number {
    return this.bytes[this.off + VlanOff.TCI]! >>> 5;
  }
  /** Drop eligible indicator (0/1). */
  get dei(): number {
    return (this.bytes[this.off + VlanOff.TCI]! >>> 4) & 1;
  }
  /** VLAN id (0-4095; 0 is a priority tag). */
  get vid(): number {
    return this.tci & 0x0fff;
  }
  /** EtherType of the payload (or the next TPID). */
  get etherType(): number {
    return be16(this.bytes, this.off + VlanOff.TYPE);
  }

  set tci(v: number) {
    putBe16(this.bytes, this.off + VlanOff.TCI, v);
  }
  set vid(v: number) {
    putBe16(this.bytes, this.off + VlanOff.TCI, (this.tci & 0xf000) | (v & 0x0fff));
  }
  set etherType(v: number) {
    putBe16(this.bytes, this.off + VlanOff.TYPE, v);
  }
}

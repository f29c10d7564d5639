// What the L4 trackers (proto-*.ts) need from the conntrack core: the resolved configuration, the version
// arrays of the entry being tracked, and the core's refresh/kill operations (__nf_ct_refresh_acct,
// nf_ct_kill_acct, nf_ct_kill). Tracker results use the kernel's convention: > 0 a verdict, <= 0 invalid.

import type { Skb } from '../skb.js';
import type { Viewer } from './api.js';
import type { CtConfig } from './config.js';

/** Tracker return values (nf_conntrack_handle_packet): NF_ACCEPT, -NF_ACCEPT, NF_DROP, -NF_REPEAT. */
export const TrackRet = {
  ACCEPT: 1,
  INVALID: -1,
  DROP: 0,
  REPEAT: -4,
} as const;

export interface TrackerHost {
  readonly cfg: CtConfig;
  /** Version arrays: trackers read and write the version slot they are given (the entry or a scratch copy). */
  readonly V: Int32Array;
  readonly VF: Float64Array;
  /** nf_ct_is_confirmed. */
  isConfirmed(ct: number): boolean;
  /**
   * __nf_ct_refresh_acct: unless IPS_FIXED_TIMEOUT, set the timeout of version `slot` to `timeoutNs`
   * (relative while unconfirmed, from skb.nowNs once confirmed); add the packet to `ct`'s `dir` counters. HOT.
   */
  refreshAcct(ct: number, slot: number, dir: number, skb: Skb, timeoutNs: number): void;
  /** nf_ct_kill_acct: count the packet, then delete the entry. HOT. */
  killAcct(ct: number, dir: number, skb: Skb): void;
  /** nf_ct_kill by the packet `writer` (an Skb): false when the entry was already dying. */
  kill(ct: number, writer: Viewer): boolean;
}

// Entry of a received frame into the host: a bridge port hands it to its bridge (br_handle_frame), any
// other device to the protocol handlers (__netif_receive_skb).

import type { Datapath } from './datapath.js';
import type { Pkt } from './pkt.js';
import { brHandleFrame } from './bridge.js';
import { receiveOnDevice } from './ip-input.js';

/** A frame received on host interface `dev`. Takes ownership of `p`. */
export function netifReceive(dp: Datapath, p: Pkt, dev: number): void {
  p.iif = dev;
  p.dev = dev;
  dp.stats.received++;
  if (dp.host.iface(dev).master >= 0) brHandleFrame(dp, p, dev);
  else receiveOnDevice(dp, p, dev);
}

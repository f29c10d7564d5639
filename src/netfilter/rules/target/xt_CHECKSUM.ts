// CHECKSUM --checksum-fill in the mangle table (libxt_CHECKSUM.c; net/netfilter/xt_CHECKSUM.c). It fills a
// checksum left partial by offload (CHECKSUM_PARTIAL); replayed packets come from captures with complete
// checksums, so applying it changes nothing and the walk continues.

import type { TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import type { ChecksumData } from '../target-data.js';
import { TargetKind } from '../target-data.js';
import { missing, noState } from '../mod-util.js';
import { Verdict } from '../../skb.js';

export const checksumTarget: TargetModule<ChecksumData, null> = {
  kind: 'target',
  name: 'CHECKSUM',
  family: 0,
  effect: TargetEffect.PURE,
  tables: ['mangle'],
  options: [{ name: 'checksum-fill', args: 0 }],
  init: () => ({ kind: TargetKind.CHECKSUM, fill: false }),
  parse(d) {
    d.fill = true;
  },
  finish(d, ctx) {
    if (!d.fill) missing(ctx, 'CHECKSUM target: Parameter --checksum-fill is required');
  },
  print: () => '--checksum-fill',
  createState: noState,
  // HOT
  target: () => Verdict.CONTINUE,
};

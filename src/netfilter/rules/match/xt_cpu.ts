// `-m cpu --cpu N` (libxt_cpu.c; net/netfilter/xt_cpu.c cpu_mt): the CPU processing the packet, which in
// replay is the modeled CPU the packet was steered to (skb.vcpu).

import type { MatchModule } from '../module.js';
import { missing, noState, uintOr } from '../mod-util.js';

export interface CpuData {
  cpu: number;
  invert: boolean;
  given: boolean;
}

export const cpuMatch: MatchModule<CpuData, null> = {
  kind: 'match',
  name: 'cpu',
  family: 0,
  options: [{ name: 'cpu', args: 1, invert: true }],
  init: () => ({ cpu: 0, invert: false, given: false }),
  parse(d, o, ctx) {
    d.cpu = uintOr(ctx, o.value, 0, 0xffffffff, 'cpu');
    d.invert = o.invert;
    d.given = true;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--cpu" must be specified');
  },
  print: (d) => `${d.invert ? '! ' : ''}--cpu ${d.cpu}`,
  createState: noState,
  // HOT
  match: (d, skb) => (skb.vcpu === d.cpu) !== d.invert,
};

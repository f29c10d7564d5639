// The environment a table walk runs in: the match environment (interface names, host facts, seeded random,
// hotdrop flag) and the datapath's target callback, both from module.ts. One per engine/vCPU, reused.

import type { MatchEnv, TargetEnv } from './module.js';

/** What runTable() needs besides the packet. */
export interface RuleEnv {
  readonly match: MatchEnv;
  readonly target: TargetEnv;
}

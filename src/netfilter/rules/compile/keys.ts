// The index key of a rule, when it has one: the exact (destination address,) protocol and destination port
// every packet it matches must carry, read from the rule's ip_packet_match part and its tcp/udp match.

import type { TableLayout } from '../engine-layout.js';
import { Inv } from '../engine-layout.js';
import { KeyShape } from './run-index.js';
import type { RuleKey } from './run-index.js';

/** The key of rule slot `s`, or null when the rule is not indexable. */
export function ruleKey(L: TableLayout, s: number): RuleKey | null {
  void L;
  void s;
  void Inv;
  void KeyShape;
  return null;
}

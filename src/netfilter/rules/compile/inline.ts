// Matches the compiler writes inline instead of calling module.match(): each returns a JavaScript
// expression over `skb` / `m` (skb.meta) equal to the module's own match() for every packet, and whether it
// can set hotdrop. Anything not listed here is called through the module.

import type { TableLayout } from '../engine-layout.js';
import type { Emitter } from './emit.js';

/** An inlined match: `expr` is true exactly when the module's match() would return true. */
export interface InlineMatch {
  expr: string;
  /** The expression can set env.match.hotdrop (the rule then checks it like a generic match). */
  mayHotdrop: boolean;
}

/** Inline form of match `j` of layout `L` (flat match index), or null to call the module. */
export function inlineMatch(L: TableLayout, j: number, E: Emitter): InlineMatch | null {
  void E;
  const name = L.matchModule[j]!.name;
  switch (name) {
    case 'comment':
      return { expr: 'true', mayHotdrop: false };
    default:
      return null;
  }
}

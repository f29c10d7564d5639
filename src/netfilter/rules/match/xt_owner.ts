// `-m owner [[!] --uid-owner U[-U]] [[!] --gid-owner G[-G] [--suppl-groups]] [[!] --socket-exists]`
// (libxt_owner.c revision 1; net/netfilter/xt_owner.c owner_mt). Valid in OUTPUT and POSTROUTING. The
// model has no processes: a packet has either no socket (forwarded, or built by REJECT's nf_send_reset)
// or a kernel control socket without a file (the host's ICMP and closed-port RSTs), which exists but has
// no owner, so only inverted uid/gid tests can match it.

import type { MatchModule, ParseContext } from '../module.js';
import { HookBit } from '../module.js';
import { badValue, missing, noState } from '../mod-util.js';
import { parseUint } from '../values.js';
import { SockKind } from '../../skb.js';

/** XT_OWNER_* bits. */
export const OwnerFlag = { UID: 0x1, GID: 0x2, SOCKET: 0x4, SUPPL_GROUPS: 0x8 } as const;

export interface OwnerData {
  uidMin: number;
  uidMax: number;
  gidMin: number;
  gidMax: number;
  /** Tests given (OwnerFlag bits) and those negated. */
  match: number;
  invert: number;
}

/** `id[-id]` as xtables parses it; only numbers and the names every system has (root: 0) offline. */
function idRange(ctx: ParseContext, s: string, what: string): [number, number] {
  const one = (x: string): number => {
    if (x === 'root') return 0;
    const v = parseUint(x, 0, 0xfffffffe);
    if (v < 0) badValue(ctx, /^[0-9]/.test(x) ? `owner: invalid ${what} "${x}"` : `owner: ${what} name "${x}" cannot be resolved offline: give the number`);
    return v;
  };
  const dash = s.indexOf('-', 1);
  if (dash < 0) {
    const v = one(s);
    return [v, v];
  }
  const lo = one(s.slice(0, dash));
  const hi = one(s.slice(dash + 1));
  if (hi < lo) badValue(ctx, `owner: bad ${what} range "${s}"`);
  return [lo, hi];
}

const OPTS = ['uid-owner', 'gid-owner', 'socket-exists', 'suppl-groups'] as const;

export const ownerMatch: MatchModule<OwnerData, null> = {
  kind: 'match',
  name: 'owner',
  family: 0,
  hooks: HookBit.LOCAL_OUT | HookBit.POST_ROUTING,
  options: OPTS.map((name) => ({ name, args: name === 'uid-owner' || name === 'gid-owner' ? (1 as const) : (0 as const), invert: name !== 'suppl-groups' })),
  init: () => ({ uidMin: 0, uidMax: 0, gidMin: 0, gidMax: 0, match: 0, invert: 0 }),
  parse(d, o, ctx) {
    const bit = [OwnerFlag.UID, OwnerFlag.GID, OwnerFlag.SOCKET, OwnerFlag.SUPPL_GROUPS][o.id]!;
    if (bit === OwnerFlag.UID) [d.uidMin, d.uidMax] = idRange(ctx, o.value, 'user');
    if (bit === OwnerFlag.GID) [d.gidMin, d.gidMax] = idRange(ctx, o.value, 'group');
    // owner_parse: --suppl-groups widens a --gid-owner given before it
    if (bit === OwnerFlag.SUPPL_GROUPS && (d.match & OwnerFlag.GID) === 0) missing(ctx, 'owner: "--suppl-groups" requires "--gid-owner"');
    d.match |= bit;
    if (o.invert) d.invert |= bit;
  },
  finish(d, ctx) {
    if (d.match === 0) missing(ctx, 'owner: at least one of --uid-owner, --gid-owner or --socket-exists is required');
  },
  print(d) {
    const parts: string[] = [];
    const item = (bit: number, label: string, value: string): void => {
      if ((d.match & bit) === 0) return;
      parts.push(`${(d.invert & bit) !== 0 ? '! ' : ''}${label}${value}`);
    };
    const range = (lo: number, hi: number): string => (lo === hi ? ` ${lo}` : ` ${lo}-${hi}`);
    item(OwnerFlag.SOCKET, '--socket-exists', '');
    item(OwnerFlag.UID, '--uid-owner', range(d.uidMin, d.uidMax));
    item(OwnerFlag.GID, '--gid-owner', range(d.gidMin, d.gidMax));
    item(OwnerFlag.SUPPL_GROUPS, '--suppl-groups', '');
    return parts.join(' ');
  },
  createState: noState,
  // HOT: owner_mt for a packet without a socket, or with a kernel socket that has no file
  match(d, skb) {
    if (skb.sock === SockKind.NONE) return (d.match ^ d.invert) === 0;
    if ((d.match & d.invert & OwnerFlag.SOCKET) !== 0) return false;
    return ((d.match ^ d.invert) & (OwnerFlag.UID | OwnerFlag.GID)) === 0;
  },
};

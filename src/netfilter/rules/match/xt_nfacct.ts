// `-m nfacct --nfacct-name NAME` (libxt_nfacct.c nfacct_parse/nfacct_save; net/netfilter/xt_nfacct.c nfacct_mt,
// nfacct_mt_checkentry). The match counts the packet into an nfnetlink_acct object and is true unless that
// object has a quota it is still under; the object must exist when the rule loads (-ENOENT otherwise).

import type { MatchModule } from '../module.js';
import { IssueCode } from '../issues.js';
import { badValue, missing, noState } from '../mod-util.js';
import { quoteArg } from '../tokenize.js';

/** NFACCT_NAME_MAX: the name buffer, NUL included. */
export const NFACCT_NAME_SIZE = 32;

/** struct xt_nfacct_match_info (the name; the kernel's object pointer is not part of the rule text). */
export interface NfacctData {
  name: string;
  given: boolean;
}

/**
 * The nfacct match for a host whose accounting objects are `objects`, or whose objects are not known (null).
 * nfacct objects live in nfnetlink_acct, outside iptables, and no snapshot file records them; a rule set that
 * is replayed was loaded on its host, whose kernel checked every name then, so with null every name is taken
 * to exist. With a list, a name outside it is refused at load as nfacct_mt_checkentry refuses it (-ENOENT).
 */
export function nfacctMatchWith(objects: ReadonlySet<string> | null): MatchModule<NfacctData, null> {
  return {
    kind: 'match',
    name: 'nfacct',
    family: 0,
    options: [{ name: 'nfacct-name', args: 1 }],
    init: () => ({ name: '', given: false }),
    parse(d, o, ctx) {
      // XTTYPE_STRING, .min = 1, into name[32]: longer names are cut to 31 bytes
      if (o.value === '') badValue(ctx, 'Argument must have a minimum length of 1 characters');
      if (o.value.includes('\n')) badValue(ctx, 'Newlines not allowed in --nfacct-name');
      const b = Buffer.from(o.value, 'utf8');
      d.name = b.length < NFACCT_NAME_SIZE ? o.value : b.subarray(0, NFACCT_NAME_SIZE - 1).toString('utf8');
      d.given = true;
    },
    finish(d, ctx) {
      if (!d.given) missing(ctx, 'option "--nfacct-name" must be specified');
    },
    check(d, ctx) {
      if (objects !== null && !objects.has(d.name)) {
        ctx.error(IssueCode.BAD_VALUE, `nfacct match: accounting object \`${d.name}' does not exist (nfacct_mt_checkentry: -ENOENT)`);
      }
    },
    // nfacct_save prints " --nfacct-name " and xtables_save_string adds its own leading space: iptables-save
    // shows two spaces before the name (as the kernel recordings and libxt_nfacct.t's comment have it)
    print: (d) => `--nfacct-name  ${quoteArg(d.name)}`,
    createState: noState,
    // HOT: nfacct_mt is `nfnl_acct_overquota(...) != NFACCT_UNDERQUOTA`. Only objects without a quota can be
    // modelled (no quota or usage is recorded anywhere nfreplay reads), and for those nfnl_acct_overquota
    // answers NFACCT_NO_QUOTA, so the match is always true; the counting itself is not observable here.
    match: () => true,
  };
}

/** The built-in nfacct match: the host's accounting objects are not known, so every name loads. */
export const nfacctMatch = nfacctMatchWith(null);

// `-m helper [!] --helper NAME` (libxt_helper.c helper_parse/helper_save; net/netfilter/xt_helper.c helper_mt,
// helper_mt_check). helper_mt looks at the helper of the connection's MASTER (the connection an expectation
// was made by); nfreplay models no conntrack helpers, so no connection is ever expected and none has a master.

import type { MatchModule } from '../module.js';
import { missing, noState } from '../mod-util.js';
import { quoteArg } from '../tokenize.js';

/** sizeof(xt_helper_info.name): the name buffer, NUL included. */
export const HELPER_NAME_SIZE = 30;

/** struct xt_helper_info. */
export interface HelperData {
  name: string;
  invert: boolean;
  given: boolean;
}

export const helperMatch: MatchModule<HelperData, null> = {
  kind: 'match',
  name: 'helper',
  family: 0,
  options: [{ name: 'helper', args: 1, invert: true }],
  init: () => ({ name: '', invert: false, given: false }),
  parse(d, o) {
    // XTTYPE_STRING into name[30] (cut to 29 bytes, as helper_mt_check's name[29] = '\0' also does)
    const b = Buffer.from(o.value, 'utf8');
    d.name = b.length < HELPER_NAME_SIZE ? o.value : b.subarray(0, HELPER_NAME_SIZE - 1).toString('utf8');
    if (o.invert) d.invert = true;
    d.given = true;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--helper" must be specified');
  },
  // helper_save: "%s --helper" with " !" first, then xtables_save_string (an empty name prints as "")
  print: (d) => `${d.invert ? '! ' : ''}--helper ${quoteArg(d.name)}`,
  createState: noState,
  // HOT: helper_mt starts from `ret = info->invert` and returns it unchanged when nf_ct_get gives no entry
  // (INVALID, untracked) or the entry has no master: that is every packet here. The name, even the empty one
  // (which would match any helper), is only compared once a master's helper is found, so it never matters.
  match: (d) => d.invert,
};

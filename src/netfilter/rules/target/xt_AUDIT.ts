// AUDIT `--type accept|drop|reject` (libxt_AUDIT.c audit_parse: strcasecmp; net/netfilter/xt_AUDIT.c
// audit_tg, audit_tg_check). audit_tg only writes an AUDIT_NETFILTER_PKT record to the kernel audit log (when
// auditing is enabled) and returns XT_CONTINUE: the packet, its mark and its connection are left as they are,
// and nothing nfreplay reports reads the audit log, so the target is a plain CONTINUE with no event.

import type { TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import { badValue, missing, noState } from '../mod-util.js';
import { Verdict } from '../../skb.js';

/** XT_AUDIT_TYPE_* (uapi xt_AUDIT.h), in their save names' order. */
export const AuditType = { ACCEPT: 0, DROP: 1, REJECT: 2 } as const;

const TYPE_NAMES = ['accept', 'drop', 'reject'] as const;

/** struct xt_audit_info. */
export interface AuditData {
  type: number;
  given: boolean;
}

export const auditTarget: TargetModule<AuditData, null> = {
  kind: 'target',
  name: 'AUDIT',
  family: 0,
  effect: TargetEffect.PURE,
  options: [{ name: 'type', args: 1 }],
  init: () => ({ type: AuditType.ACCEPT, given: false }),
  parse(d, o, ctx) {
    // strcasecmp folds ASCII letters only
    const t = TYPE_NAMES.indexOf(o.value.replace(/[A-Z]/g, (c) => c.toLowerCase()) as (typeof TYPE_NAMES)[number]);
    if (t < 0) badValue(ctx, `Bad action type value "${o.value}"`);
    d.type = t;
    d.given = true;
  },
  finish(d, ctx) {
    // XTOPT_MAND; audit_tg_check's "type > XT_AUDIT_TYPE_MAX" cannot happen after the parse above
    if (!d.given) missing(ctx, 'option "--type" must be specified');
  },
  // audit_save: " --type accept|drop|reject"
  print: (d) => `--type ${TYPE_NAMES[d.type]!}`,
  createState: noState,
  // HOT: audit_tg logs (outside the model) and continues
  target: () => Verdict.CONTINUE,
};

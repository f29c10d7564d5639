// LED `--led-trigger-id ID [--led-delay MS|inf] [--led-always-blink]` (libxt_LED.c LED_parse, LED_save;
// net/netfilter/xt_LED.c led_tg, led_tg_check). led_tg only drives the "netfilter-ID" LED trigger and returns
// XT_CONTINUE: no packet, mark or connection changes, so the target is a plain CONTINUE with no event. The save
// form is LED_save's, quirks included: the id always double-quoted, a delay printed with %d of the __u32.

import type { TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import { badValue, missing, noState } from '../mod-util.js';
import { parseUint } from '../values.js';
import { Verdict } from '../../skb.js';

/** sizeof(xt_led_info.id) - sizeof("netfilter-"): the longest trigger id (bytes). */
export const LED_ID_MAX = 27 - 11;

/** struct xt_led_info (the id without its "netfilter-" prefix). */
export interface LedData {
  id: string;
  /** __u32 milliseconds; 0xffffffff for `inf` (stay on). */
  delay: number;
  alwaysBlink: boolean;
  given: boolean;
}

/** LED_save's quoting of the id: always in double quotes, `"` and `\` escaped with a backslash. */
function savedId(id: string): string {
  return '"' + id.replace(/["\\]/g, (c) => '\\' + c) + '"';
}

export const ledTarget: TargetModule<LedData, null> = {
  kind: 'target',
  name: 'LED',
  family: 0,
  effect: TargetEffect.PURE,
  options: [
    { name: 'led-trigger-id', args: 1 },
    { name: 'led-delay', args: 1 },
    { name: 'led-always-blink', args: 0 },
  ],
  init: () => ({ id: '', delay: 0, alwaysBlink: false, given: false }),
  parse(d, o, ctx) {
    switch (o.id) {
      case 0:
        // XTTYPE_STRING with .max: xtopt_parse_string measures strlen
        if (Buffer.byteLength(o.value, 'utf8') > LED_ID_MAX) badValue(ctx, `Argument must have a maximum length of ${LED_ID_MAX} characters`);
        d.id = o.value;
        d.given = true;
        break;
      case 1: {
        // strncasecmp(arg, "inf", 3): anything starting with inf, in any case, means "stay on"
        if (o.value.length >= 3 && o.value.slice(0, 3).replace(/[A-Z]/g, (c) => c.toLowerCase()) === 'inf') {
          d.delay = 0xffffffff;
          break;
        }
        const v = parseUint(o.value, 0, 0xffffffff);
        if (v < 0) badValue(ctx, 'Delay value must be within range 0..4294967295');
        d.delay = v;
        break;
      }
      case 2:
        d.alwaysBlink = true;
        break;
    }
  },
  finish(d, ctx) {
    // XTOPT_MAND; led_tg_check's empty-id test cannot fail: the kernel id always starts with "netfilter-"
    if (!d.given) missing(ctx, 'option "--led-trigger-id" must be specified');
  },
  print(d) {
    let s = `--led-trigger-id ${savedId(d.id)}`;
    // `if (led->delay > 0) printf(" --led-delay %d", ...)` on a __u32: `inf` comes out as -1
    if (d.delay !== 0) s += ` --led-delay ${d.delay | 0}`;
    if (d.alwaysBlink) s += ' --led-always-blink';
    return s;
  },
  createState: noState,
  // HOT: led_tg fires the LED trigger (outside the model) and continues
  target: () => Verdict.CONTINUE,
};

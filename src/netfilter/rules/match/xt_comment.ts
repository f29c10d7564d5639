// `-m comment --comment TEXT`: always matches (xt_comment.c); the text, at most 255 bytes, is printed bare
// or double-quoted by xtables_save_string.

import type { MatchModule } from '../module.js';
import { badValue, missing, noState } from '../mod-util.js';
import { quoteArg } from '../tokenize.js';

/** XT_MAX_COMMENT_LEN - 1. */
export const MAX_COMMENT = 255;

export interface CommentData {
  comment: string;
  given: boolean;
}

export const commentMatch: MatchModule<CommentData, null> = {
  kind: 'match',
  name: 'comment',
  family: 0,
  options: [{ name: 'comment', args: 1 }],
  init: () => ({ comment: '', given: false }),
  parse(d, o, ctx) {
    if (Buffer.byteLength(o.value, 'utf8') > MAX_COMMENT) badValue(ctx, `comment is longer than ${MAX_COMMENT} bytes`);
    d.comment = o.value;
    d.given = true;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--comment" must be specified');
  },
  print: (d) => `--comment ${quoteArg(d.comment)}`,
  createState: noState,
  // HOT
  match: () => true,
};

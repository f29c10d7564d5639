// Problems found in a rule set: every one is a RuleIssue with a stable code, the line and column it concerns
// and the text of that line. The parser collects all of them (not only the first, unlike iptables-restore);
// RuleSetError carries the whole list when a caller asks for a rule set that must load.

import { RuleError } from '../../util/errors.js';

/** Stable issue codes. */
export const IssueCode = {
  /** A line that is none of: comment, `*table`, `:chain`, rule, COMMIT. */
  SYNTAX: 'ERR_RULE_SYNTAX',
  /** Unterminated double quote, or a parameter over 1023 bytes. */
  QUOTE: 'ERR_RULE_QUOTE',
  /** `*name` that is not raw, mangle, nat, filter or security. */
  UNKNOWN_TABLE: 'ERR_RULE_UNKNOWN_TABLE',
  /** The same table section twice in one file. */
  TABLE_REPEATED: 'ERR_RULE_TABLE_REPEATED',
  /** A chain line or rule outside a `*table` section. */
  NO_TABLE: 'ERR_RULE_NO_TABLE',
  /** A section without COMMIT (at the next `*table` or the end of the file). */
  NO_COMMIT: 'ERR_RULE_NO_COMMIT',
  /** `[pkts:bytes]` that is not two unsigned 64-bit numbers, or a bad `-c`. */
  COUNTERS: 'ERR_RULE_COUNTERS',
  /** Chain name empty, over 28 characters, starting with `-`, or a verdict name. */
  CHAIN_NAME: 'ERR_RULE_CHAIN_NAME',
  /** A chain declared twice in a section. */
  CHAIN_EXISTS: 'ERR_RULE_CHAIN_EXISTS',
  /** Policy other than ACCEPT/DROP on a builtin chain, or any policy on a user chain. */
  POLICY: 'ERR_RULE_POLICY',
  /** A command other than -A (restore also knows -I/-D/-R/-N/-X/-F/-Z/-P; not supported here). */
  COMMAND: 'ERR_RULE_COMMAND',
  /** `-A` to a chain the section did not declare. */
  UNDECLARED_CHAIN: 'ERR_RULE_UNDECLARED_CHAIN',
  /** `-j`/`-g` to a name that is neither a verdict, a declared chain nor a supported target. */
  UNKNOWN_CHAIN: 'ERR_RULE_UNKNOWN_CHAIN',
  /** `-j`/`-g` to a builtin chain. */
  JUMP_BUILTIN: 'ERR_RULE_JUMP_BUILTIN',
  /** The jump graph of a table has a cycle. */
  LOOP: 'ERR_RULE_LOOP',
  /** `-t` inside a restore file. */
  TABLE_OPTION: 'ERR_RULE_TABLE_OPTION',
  /** A word that is not an option where an option was expected (iptables: "Bad argument"). */
  BAD_ARGUMENT: 'ERR_RULE_BAD_ARGUMENT',
  /** An option no loaded match or target knows. */
  UNKNOWN_OPTION: 'ERR_RULE_UNKNOWN_OPTION',
  /** An abbreviated option that fits several. */
  AMBIGUOUS_OPTION: 'ERR_RULE_AMBIGUOUS_OPTION',
  /** An option given twice that may appear once. */
  OPTION_REPEATED: 'ERR_RULE_OPTION_REPEATED',
  /** `!` before an option that cannot be negated, or a dangling `!`. */
  INVERT: 'ERR_RULE_INVERT',
  /** An option without its value. */
  MISSING_VALUE: 'ERR_RULE_MISSING_VALUE',
  /** A value the option does not accept. */
  BAD_VALUE: 'ERR_RULE_BAD_VALUE',
  /** A mandatory option of a match or target is missing. */
  MISSING_OPTION: 'ERR_RULE_MISSING_OPTION',
  /** Options that exclude each other. */
  CONFLICT: 'ERR_RULE_CONFLICT',
  /** A match iptables has but nfreplay does not model. */
  UNSUPPORTED_MATCH: 'ERR_RULE_UNSUPPORTED_MATCH',
  /** A target iptables has but nfreplay does not model. */
  UNSUPPORTED_TARGET: 'ERR_RULE_UNSUPPORTED_TARGET',
  /** `-m name` for a match that does not exist in iptables either. */
  UNKNOWN_MATCH: 'ERR_RULE_UNKNOWN_MATCH',
  /** Bad `-s`/`-d` address or mask. */
  BAD_ADDRESS: 'ERR_RULE_BAD_ADDRESS',
  /** Bad `-i`/`-o` interface name (too long). */
  BAD_INTERFACE: 'ERR_RULE_BAD_INTERFACE',
  /** Unknown `-p` protocol, or `! -p all`. */
  BAD_PROTOCOL: 'ERR_RULE_BAD_PROTOCOL',
  /** `-i` in OUTPUT/POSTROUTING or `-o` in PREROUTING/INPUT. */
  IFACE_HOOK: 'ERR_RULE_IFACE_HOOK',
  /** Match or target used in a table the kernel does not allow it in. */
  WRONG_TABLE: 'ERR_RULE_WRONG_TABLE',
  /** Match or target used in a chain reached from a hook the kernel does not allow it at. */
  WRONG_HOOK: 'ERR_RULE_WRONG_HOOK',
  /** Match or target that needs a (non-inverted) `-p` protocol the rule does not give. */
  NEEDS_PROTOCOL: 'ERR_RULE_NEEDS_PROTOCOL',
  /** Something of the other address family (IPv6 address in an iptables set...). */
  FAMILY: 'ERR_RULE_FAMILY',
  /** `-m set` naming a set whose contents were not supplied. */
  IPSET_UNKNOWN: 'ERR_RULE_IPSET_UNKNOWN',
  /** More than the issue cap; the rest were not listed. */
  TOO_MANY: 'ERR_RULE_TOO_MANY_ISSUES',
} as const;
export type IssueCodeString = (typeof IssueCode)[keyof typeof IssueCode];

/** One problem in a rule set: code, message, 1-based line/column, and the line's text. */
export class RuleIssue extends RuleError {
  /** The source line the issue concerns ('' when it concerns the whole file). */
  readonly text: string;

  constructor(code: string, message: string, where: { path?: string; line: number; column: number }, text: string) {
    super(code, message, where);
    this.name = 'RuleIssue';
    this.text = text;
  }

  /** Plain form for JSON output. */
  toJSON(): { line: number; column: number; code: string; message: string; text: string } {
    return { line: this.line ?? 0, column: this.column ?? 0, code: this.code, message: this.message, text: this.text };
  }
}

/** A rule set that failed to load; `issues` lists every problem found. */
export class RuleSetError extends RuleError {
  readonly issues: readonly RuleIssue[];

  constructor(issues: readonly RuleIssue[], path?: string) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''})` : '';
    super(
      first?.code ?? 'ERR_RULESET_INVALID',
      first !== undefined ? `${first.message}${more}` : 'rule set is invalid',
      { path, line: first?.line, column: first?.column },
    );
    this.name = 'RuleSetError';
    this.issues = issues;
  }
}

/** Collects issues with a cap so hostile input cannot grow the list without bound. */
export class IssueList {
  readonly items: RuleIssue[] = [];
  private dropped = 0;

  constructor(
    readonly path: string,
    readonly cap = 10_000,
  ) {}

  add(code: string, message: string, line: number, column: number, text: string): void {
    if (this.items.length >= this.cap) {
      this.dropped++;
      return;
    }
    this.items.push(new RuleIssue(code, message, { path: this.path || undefined, line, column }, text));
  }

  /** Append the "too many" note when issues were dropped; returns the final list. */
  finish(): RuleIssue[] {
    if (this.dropped > 0) {
      this.items.push(
        new RuleIssue(IssueCode.TOO_MANY, `${this.dropped} further issues were not listed`, { path: this.path || undefined, line: 0, column: 0 }, ''),
      );
      this.dropped = 0;
    }
    return this.items;
  }
}

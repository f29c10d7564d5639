// Splits a rule line into arguments the way iptables-restore does (add_param_to_argv): whitespace separates,
// double quotes group and end an argument where they close, `\x` inside quotes is x, backslashes outside
// quotes and single quotes are ordinary characters. Each argument keeps the 1-based column it starts at.

/** One argument of a rule line. */
export interface Token {
  text: string;
  /** 1-based column of its first character (the opening quote for a quoted argument). */
  column: number;
  /** It was (partly) written in double quotes: never an option or a `!`. */
  quoted: boolean;
}

/** Tokenizer failure: message and 1-based column. */
export interface TokenizeError {
  error: string;
  column: number;
}

/** iptables-restore's parameter buffer: 1024 bytes including the terminating NUL. */
export const MAX_PARAM_LEN = 1023;

/**
 * Tokenize `line` from index `from` (0-based). An unterminated quote is an error (iptables-restore would swallow
 * the rest of the line, line break included, into the argument).
 */
export function tokenize(line: string, from = 0): Token[] | TokenizeError {
  const out: Token[] = [];
  let buf = '';
  let inQuote = false;
  let escaped = false;
  let quoted = false;
  let start = -1;
  let quoteCol = 0;
  const push = (): void => {
    out.push({ text: buf, column: start + 1, quoted });
    buf = '';
    quoted = false;
    start = -1;
  };
  for (let i = from; i < line.length; i++) {
    const c = line[i]!;
    if (inQuote) {
      if (escaped) {
        buf += c;
        escaped = false;
      } else if (c === '\\') {
        escaped = true;
      } else if (c === '"') {
        inQuote = false;
        // the closing quote ends the argument, even when more characters follow directly
        push();
      } else {
        buf += c;
      }
    } else if (c === '"') {
      inQuote = true;
      quoted = true;
      quoteCol = i + 1;
      if (start < 0) start = i;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (start >= 0) push();
    } else {
      if (start < 0) start = i;
      buf += c;
    }
    if (buf.length > MAX_PARAM_LEN) return { error: 'parameter too long (over 1023 bytes)', column: start + 1 };
  }
  if (inQuote) return { error: 'unterminated double quote', column: quoteCol };
  if (start >= 0) push();
  return out;
}

/** xtables_save_string: bare when made only of [A-Za-z0-9_-] (and non-empty), else quoted with `"`, `\`, `'` escaped. */
export function quoteArg(value: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(value)) return value;
  return '"' + value.replace(/["\\']/g, (m) => '\\' + m) + '"';
}

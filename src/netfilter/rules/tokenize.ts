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
  const n = line.length;
  let i = from;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10) {
      i++;
      continue;
    }
    const start = i;
    // fast path: a bare argument up to whitespace, sliced without copying character by character
    while (i < n && c !== 32 && c !== 9 && c !== 10 && c !== 34) c = line.charCodeAt(++i);
    if (i >= n || c !== 34) {
      if (i - start > MAX_PARAM_LEN) return { error: 'parameter too long (over 1023 bytes)', column: start + 1 };
      out.push({ text: line.slice(start, i), column: start + 1, quoted: false });
      continue;
    }
    // a double quote opens inside or at the start of the argument: the argument ends where it closes
    let buf = line.slice(start, i);
    const quoteCol = i + 1;
    i++;
    let closed = false;
    while (i < n) {
      const q = line.charCodeAt(i);
      if (q === 92 && i + 1 < n) {
        buf += line[i + 1];
        i += 2;
      } else if (q === 34) {
        i++;
        closed = true;
        break;
      } else {
        buf += line[i];
        i++;
      }
      if (buf.length > MAX_PARAM_LEN) return { error: 'parameter too long (over 1023 bytes)', column: start + 1 };
    }
    if (!closed) return { error: 'unterminated double quote', column: quoteCol };
    out.push({ text: buf, column: start + 1, quoted: true });
  }
  return out;
}

/** xtables_save_string: bare when made only of [A-Za-z0-9_-] (and non-empty), else quoted with `"`, `\`, `'` escaped. */
export function quoteArg(value: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(value)) return value;
  return '"' + value.replace(/["\\']/g, (m) => '\\' + m) + '"';
}

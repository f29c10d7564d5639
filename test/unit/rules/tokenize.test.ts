import { describe, expect, it } from 'vitest';
import { quoteArg, tokenize } from '../../../src/netfilter/rules/tokenize.js';

const texts = (line: string): string[] => {
  const t = tokenize(line);
  if (!Array.isArray(t)) throw new Error(t.error);
  return t.map((x) => x.text);
};

describe('tokenize (iptables-restore add_param_to_argv)', () => {
  it('splits on spaces and tabs and keeps 1-based columns', () => {
    const t = tokenize('-A  INPUT\t-j ACCEPT');
    expect(Array.isArray(t) && t.map((x) => [x.text, x.column])).toEqual([
      ['-A', 1],
      ['INPUT', 5],
      ['-j', 11],
      ['ACCEPT', 14],
    ]);
  });
  it('groups double-quoted text and unescapes \\" and \\\\ inside quotes', () => {
    expect(texts('--comment "a b"')).toEqual(['--comment', 'a b']);
    expect(texts('"abc\\"def"')).toEqual(['abc"def']);
    expect(texts('"a\\\\b"')).toEqual(['a\\b']);
    expect(texts('""')).toEqual(['']);
  });
  it('ends an argument at its closing quote', () => {
    expect(texts('"a"b')).toEqual(['a', 'b']);
    expect(texts('x"y z"w')).toEqual(['xy z', 'w']);
  });
  it('treats single quotes and outside backslashes as ordinary characters', () => {
    expect(texts("'a b'")).toEqual(["'a", "b'"]);
    expect(texts('a\\b')).toEqual(['a\\b']);
  });
  it('reports an unterminated quote at the quote column', () => {
    expect(tokenize('-m comment --comment "abc')).toEqual({ error: 'unterminated double quote', column: 22 });
  });
  it('refuses parameters over 1023 bytes', () => {
    expect(Array.isArray(tokenize('x'.repeat(1023)))).toBe(true);
    expect(tokenize('x'.repeat(1024))).toEqual({ error: 'parameter too long (over 1023 bytes)', column: 1 });
    expect(tokenize(`"${'y'.repeat(1024)}"`)).toMatchObject({ column: 1 });
  });
  it('starts at an offset (after a counter prefix)', () => {
    const t = tokenize('[1:2] -A INPUT', 5);
    expect(Array.isArray(t) && t.map((x) => [x.text, x.column])).toEqual([
      ['-A', 7],
      ['INPUT', 10],
    ]);
  });
});

describe('quoteArg (xtables_save_string)', () => {
  it('leaves [A-Za-z0-9_-] words bare and quotes everything else', () => {
    expect(quoteArg('plain_word-1')).toBe('plain_word-1');
    expect(quoteArg('dot.name')).toBe('"dot.name"');
    expect(quoteArg('default/web:http')).toBe('"default/web:http"');
    expect(quoteArg('')).toBe('""');
    expect(quoteArg('a"b')).toBe('"a\\"b"');
    expect(quoteArg("it's")).toBe('"it\\\'s"');
    expect(quoteArg('a\\b')).toBe('"a\\\\b"');
  });
});

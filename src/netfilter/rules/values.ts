// Value parsers shared by the rule parser and the modules, with libxtables' exact acceptance rules:
// xtables_strtoui (strtoul base 0: decimal, 0x hex, leading-0 octal, no sign), port and port-range parsing
// with service names, `value[/mask]` marks, and the formatting helpers iptables-save uses (hex without padding).

import { serviceToPort } from './names.js';

/** Result of a prefix number scan: the value (NaN on failure) and the index after the digits. */
export interface NumScan {
  value: number;
  end: number;
}

const NUM_FAIL: NumScan = { value: NaN, end: 0 };

/**
 * strtoumax(s, &end, base) as xtables_strtoul_base uses it: optional leading whitespace, no minus sign, base 0
 * picks 0x/0X hex, leading 0 octal, else decimal. Values above 2^53 become Infinity (always out of range).
 */
export function scanUint(s: string, start = 0, base = 0): NumScan {
  let i = start;
  while (i < s.length && /\s/.test(s[i]!)) i++;
  if (s[i] === '-') return NUM_FAIL;
  if (s[i] === '+') i++;
  let b = base;
  if ((b === 0 || b === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && isDigit(s[i + 2], 16)) {
    i += 2;
    b = 16;
  } else if (b === 0) {
    b = s[i] === '0' ? 8 : 10;
  }
  const digitsStart = i;
  let v = 0;
  while (i < s.length && isDigit(s[i], b)) {
    v = v * b + parseInt(s[i]!, b);
    i++;
  }
  if (i === digitsStart) return NUM_FAIL;
  return { value: v > Number.MAX_SAFE_INTEGER ? Infinity : v, end: i };
}

function isDigit(c: string | undefined, base: number): boolean {
  if (c === undefined) return false;
  if (base === 16) return /[0-9a-fA-F]/.test(c);
  if (base === 8) return c >= '0' && c <= '7';
  return c >= '0' && c <= '9';
}

/** xtables_strtoui(s, NULL, &v, min, max) with the whole string consumed: the value or -1. */
export function parseUint(s: string, min: number, max: number, base = 0): number {
  const r = scanUint(s, 0, base);
  if (Number.isNaN(r.value) || r.end !== s.length) return -1;
  if (r.value < min || r.value > max) return -1;
  return r.value;
}

/** A port number or service name (xtables_parse_port): the port, or -1. */
export function parsePort(s: string, proto: string | null): number {
  const n = parseUint(s, 0, 65535);
  if (n >= 0) return n;
  return serviceToPort(s, proto);
}

/**
 * `a:b` port range (parse_tcp_ports / XTTYPE_PORTRC): empty sides default to 0 and 65535; a single value is
 * `a:a`. Returns [min, max] or an error message.
 */
export function parsePortRange(s: string, proto: string | null, sep = ':'): [number, number] | string {
  const at = s.indexOf(sep);
  if (at < 0) {
    const p = parsePort(s, proto);
    if (p < 0) return `invalid port/service \`${s}' specified`;
    return [p, p];
  }
  const a = s.slice(0, at);
  const b = s.slice(at + 1);
  const lo = a === '' ? 0 : parsePort(a, proto);
  if (lo < 0) return `invalid port/service \`${a}' specified`;
  const hi = b === '' ? 65535 : parsePort(b, proto);
  if (hi < 0) return `invalid port/service \`${b}' specified`;
  if (lo > hi) return 'invalid portrange (min > max)';
  return [lo, hi];
}

/** `lo[:hi]` unsigned range with defaults for empty sides (length, ctexpire, mss, ...). */
export function parseUintRange(s: string, min: number, max: number, sep = ':'): [number, number] | string {
  const at = s.indexOf(sep);
  if (at < 0) {
    const v = parseUint(s, min, max);
    if (v < 0) return `\`${s}' is not a number in ${min}..${max}`;
    return [v, v];
  }
  const a = s.slice(0, at);
  const b = s.slice(at + 1);
  const lo = a === '' ? min : parseUint(a, min, max);
  if (lo < 0) return `\`${a}' is not a number in ${min}..${max}`;
  const hi = b === '' ? max : parseUint(b, min, max);
  if (hi < 0) return `\`${b}' is not a number in ${min}..${max}`;
  if (lo > hi) return `range ${s} has its minimum above its maximum`;
  return [lo, hi];
}

/** `value[/mask]` (XTTYPE_MARKMASK32): mask defaults to 0xffffffff. Returns [value, mask] or null. */
export function parseMarkMask(s: string): [number, number] | null {
  const at = s.indexOf('/');
  const vs = at < 0 ? s : s.slice(0, at);
  const v = parseUint(vs, 0, 0xffffffff);
  if (v < 0) return null;
  if (at < 0) return [v, 0xffffffff];
  const m = parseUint(s.slice(at + 1), 0, 0xffffffff);
  if (m < 0) return null;
  return [v, m];
}

/** `0x%x` formatting of an unsigned 32-bit value, as iptables-save prints marks. */
export function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

/** `%02x`-style padded hex with a 0x prefix (tos/dscp print `0x%02x`). */
export function hex2(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(2, '0');
}

/** Print a `lo[:hi]` range the usual iptables way (`lo` alone when equal). */
export function rangeText(lo: number, hi: number, sep = ':'): string {
  return lo === hi ? String(lo) : `${lo}${sep}${hi}`;
}

/** getopt_long's argument: does a token look like the start of another option (used for optional 2nd values)? */
export function looksLikeOption(tok: string | undefined): boolean {
  return tok === undefined || tok.startsWith('-') || tok === '!';
}

// libxt_time.c's value parsers and save text: time_parse_date (ISO 8601 through mktime with TZ=UTC),
// time_parse_minutes (hh:mm[:ss]), time_parse_monthdays / time_parse_weekdays (with their 2- and 3-character
// segment buffers and strtoul quirks), and time_save's output, printed from the kernel struct xt_time_info.

/** XT_TIME_* flags of xt_time_info. */
export const TimeFlag = { LOCAL_TZ: 1 << 0, CONTIGUOUS: 1 << 1 } as const;
export const TIME_ALL_MONTHDAYS = 0xfffffffe;
export const TIME_ALL_WEEKDAYS = 0xfe;
export const TIME_MAX_DAYTIME = 24 * 60 * 60 - 1;
/** date_stop as time_init leaves it (INT_MAX). */
export const TIME_DEFAULT_DATESTOP = 0x7fffffff;

/** struct xt_time_info. */
export interface TimeData {
  dateStart: number;
  dateStop: number;
  daytimeStart: number;
  daytimeStop: number;
  /** Bit d set: day d of the month matches (u32). */
  monthdays: number;
  /** Bit d set: weekday d (1 Monday .. 7 Sunday) matches (u8). */
  weekdays: number;
  flags: number;
  /** Options seen (1 << option id), for the exclusions and the --contiguous check. */
  given: number;
}

const WEEK_DAYS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/**
 * strtoul(s, &end, base) with its result stored in an `unsigned int`: leading space, an optional sign (a minus
 * negates modulo 2^64), base 0 picking 0x / 0 prefixes, saturation at ULONG_MAX; `end` is 0 when no digit was
 * read. The value is reduced modulo 2^32.
 */
export function cStrtoul(s: string, base: 10 | 0): { value: number; end: number } {
  let i = 0;
  while (isSpace(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  let b: number = base;
  if (b === 0) {
    if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
      b = 16;
      i += 2;
    } else b = s[i] === '0' ? 8 : 10;
  }
  const start = i;
  let v = 0n;
  const top = (1n << 64n) - 1n;
  for (; i < s.length; i++) {
    const dgt = parseInt(s[i]!, b);
    if (Number.isNaN(dgt)) break;
    v = v * BigInt(b) + BigInt(dgt);
    if (v > top) v = top + 1n;
  }
  if (i === start) return { value: 0, end: 0 };
  if (v > top) v = top;
  else if (neg) v = ((1n << 64n) - v) & top;
  return { value: Number(v & 0xffffffffn), end: i };
}

/** time_parse_date: seconds since the epoch (UTC), or an error message. */
export function parseDate(os: string): number | string {
  const bad = `Invalid date "${os}" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`;
  // year, month, day, hour, minute, second; each field ends with the separator that introduces the next
  const seps = ['-', '-', 'T', ':', ':', ''];
  const max = [2038, 12, 31, 23, 59, 59];
  const f = [1970, 1, 1, 0, 0, 0];
  let s = os;
  for (let k = 0; k < 6; k++) {
    const r = cStrtoul(s, 10);
    const e = s[r.end];
    if ((e !== seps[k] && e !== undefined) || r.value > max[k]! || (k === 0 && r.value < 1970)) return bad;
    if (k === 5 && e !== undefined) return bad;
    f[k] = r.value;
    if (e === undefined) break;
    s = s.slice(r.end + 1);
  }
  // mktime normalises out-of-range fields (month 0, day 0, February 31st) and fails below the epoch
  const ms = Date.UTC(f[0]!, f[1]! - 1, f[2]!, f[3]!, f[4]!, f[5]!);
  if (ms < 0) return 'mktime returned an error';
  return ms / 1000;
}

/** time_parse_minutes: seconds into the day, or an error message quoting what was left, as libxt_time does. */
export function parseDaytime(arg: string): number | string {
  let s = arg;
  const bad = (): string => `invalid time "${s}" specified, should be hh:mm[:ss] format and within the boundaries`;
  const h = cStrtoul(s, 10);
  if (s[h.end] !== ':' || h.value > 23) return bad();
  s = s.slice(h.end + 1);
  const m = cStrtoul(s, 10);
  const em = s[m.end];
  if ((em !== ':' && em !== undefined) || m.value > 59) return bad();
  let sec = 0;
  if (em === ':') {
    s = s.slice(m.end + 1);
    const x = cStrtoul(s, 10);
    if (x.end !== s.length || x.value > 59) return bad();
    sec = x.value;
  }
  return 3600 * h.value + 60 * m.value + sec;
}

/** my_strseg: the comma-separated segments, each cut to what the buffer of `buflen` bytes holds. */
function segments(arg: string, buflen: number): string[] {
  const out: string[] = [];
  let rest: string | null = arg;
  while (rest !== null && rest !== '') {
    const sep: number = rest.indexOf(',');
    out.push((sep < 0 ? rest : rest.slice(0, sep)).slice(0, buflen - 1));
    rest = sep < 0 ? null : rest.slice(sep + 1);
  }
  return out;
}

/** time_parse_monthdays: the u32 day mask, or an error message. */
export function parseMonthdays(arg: string): number | string {
  let ret = 0;
  for (const day of segments(arg, 3)) {
    const r = cStrtoul(day, 0);
    const e = day[r.end];
    if ((e !== ',' && e !== undefined) || r.value > 31) return `${day} is not a valid day for --monthdays`;
    ret |= 1 << r.value;
  }
  return ret >>> 0;
}

/** time_parse_weekdays: the day mask as the u8 field keeps it, or an error message. */
export function parseWeekdays(arg: string): number | string {
  let ret = 0;
  for (const day of segments(arg, 4)) {
    const r = cStrtoul(day, 0);
    if (r.end === day.length) {
      if (r.value === 0) return 'No, the week does NOT begin with Sunday.';
      // `1 << i` for an unsigned int i: x86 shifts by i mod 32, as JavaScript does
      ret |= 1 << r.value;
      continue;
    }
    let valid = false;
    for (let i = 1; i < WEEK_DAYS.length; i++) {
      if (day.slice(0, 2) === WEEK_DAYS[i]!.slice(0, 2)) {
        ret |= 1 << i;
        valid = true;
      }
    }
    if (!valid) return `${day} is not a valid day specifier`;
  }
  return ret & 0xff;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function daytimeText(v: number): string {
  return `${two(Math.floor(v / 3600))}:${two(Math.floor(v / 60) % 60)}:${two(v % 60)}`;
}

/** time_print_date: ` --opt YYYY-MM-DDThh:mm:ss` in UTC (gmtime), nothing for 0 (and LONG_MAX, never stored). */
function dateText(v: number, opt: string): string {
  if (v === 0) return '';
  const t = new Date(v * 1000);
  const date = `${String(t.getUTCFullYear()).padStart(4, '0')}-${two(t.getUTCMonth() + 1)}-${two(t.getUTCDate())}`;
  return ` ${opt} ${date}T${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}`;
}

/**
 * time_save. The default date_stop (INT_MAX) is not the LONG_MAX time_print_date skips on 64-bit hosts, so
 * iptables-save prints `--datestop 2038-01-19T03:14:07` for a rule that gave none.
 */
export function timeText(d: TimeData): string {
  let s = '';
  if (d.daytimeStart !== 0 || d.daytimeStop !== TIME_MAX_DAYTIME) {
    s += ` --timestart ${daytimeText(d.daytimeStart)} --timestop ${daytimeText(d.daytimeStop)}`;
  }
  if (d.monthdays !== TIME_ALL_MONTHDAYS) {
    const days: number[] = [];
    for (let i = 1; i <= 31; i++) if ((d.monthdays & (1 << i)) !== 0) days.push(i);
    s += ` --monthdays ${days.join(',')}`;
  }
  if (d.weekdays !== TIME_ALL_WEEKDAYS) {
    const days: string[] = [];
    for (let i = 1; i <= 7; i++) if ((d.weekdays & (1 << i)) !== 0) days.push(WEEK_DAYS[i]!);
    s += ` --weekdays ${days.join(',')}`;
  }
  s += dateText(d.dateStart, '--datestart');
  s += dateText(d.dateStop, '--datestop');
  if ((d.flags & TimeFlag.LOCAL_TZ) !== 0) s += ' --kerneltz';
  if ((d.flags & TimeFlag.CONTIGUOUS) !== 0) s += ' --contiguous';
  return s.slice(1);
}

// -m time (xt_time.c time_mt, libxt_time.c): matching at chosen capture instants (the replay clock plus the
// packet's virtual time), windows across midnight with and without --contiguous, weekdays, monthdays in leap
// years, date bounds, --kerneltz as UTC; parse errors and the saved form with its default --datestop.

import { describe, expect, it } from 'vitest';
import { TestMatchEnv, evalMatch, matchOf, parseOne, skbOf } from './helpers.js';
import type { MatchEnv } from '../../../src/netfilter/rules/module.js';
import { ruleBodyText } from '../../../src/netfilter/rules/print.js';
import { Family } from '../../../src/netfilter/rules/ast.js';
import type { TimeData } from '../../../src/netfilter/rules/match/xt_time.js';
import { timeMatches } from '../../../src/netfilter/rules/match/xt_time.js';

const sec = (iso: string): number => Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`) / 1000;

/** Evaluate `-m time OPTS` for a packet processed at `iso` (UTC): the clock at the capture start, nowNs after it. */
function at(opts: string, iso: string): boolean {
  const t = sec(iso);
  const base = t - 3600;
  const env: MatchEnv = Object.assign(new TestMatchEnv(), { clock: { baseSec: base, baseNsec: 250_000_000 } });
  return evalMatch(matchOf(`-m time ${opts}`), skbOf({}, { nowNs: 3600e9 - 250_000_000 + 1000 }), env);
}

const saved = (opts: string): string => ruleBodyText(parseOne(`-m time ${opts}`).ruleset.rules[0]!, Family.IPV4).slice(1);
const rejects = (opts: string): string => {
  const r = parseOne(`-m time ${opts}`);
  expect(r.issues.length).toBeGreaterThan(0);
  return r.issues[0]!.message;
};

describe('time_mt on capture time', () => {
  it('reads the capture clock plus the packet virtual time, to the second', () => {
    const m = matchOf('-m time --weekdays Tue');
    const env: MatchEnv = Object.assign(new TestMatchEnv(), { clock: { baseSec: sec('2024-01-01T23:59:59'), baseNsec: 500_000_000 } });
    expect(evalMatch(m, skbOf({}, { nowNs: 0 }), env)).toBe(false); // Monday 23:59:59.5
    expect(evalMatch(m, skbOf({}, { nowNs: 499_999_999 }), env)).toBe(false); // Monday 23:59:59.999999999
    expect(evalMatch(m, skbOf({}, { nowNs: 500_000_000 }), env)).toBe(true); // Tuesday 00:00:00.0
    // without a clock, virtual time counts from the epoch (1970-01-01 was a Thursday)
    const fri = matchOf('-m time --weekdays Fri');
    expect(evalMatch(fri, skbOf({}, { nowNs: 86400e9 - 1 }), new TestMatchEnv())).toBe(false);
    expect(evalMatch(fri, skbOf({}, { nowNs: 86400e9 }), new TestMatchEnv())).toBe(true);
  });

  it('matches every instant by default, up to the default date_stop (INT_MAX)', () => {
    expect(at('', '2024-06-15T12:34:56')).toBe(true);
    expect(at('', '2038-01-19T03:14:07')).toBe(true);
    expect(at('', '2038-01-19T03:14:08')).toBe(false);
    expect(at('--datestop 2038-12-31', '2038-06-01T00:00:00')).toBe(true);
  });

  it('bounds the daytime inclusively, and a window across midnight covers both ends of the day', () => {
    const day = '--timestart 08:00 --timestop 17:30';
    expect(at(day, '2024-03-05T07:59:59')).toBe(false);
    expect(at(day, '2024-03-05T08:00:00')).toBe(true);
    expect(at(day, '2024-03-05T17:30:00')).toBe(true);
    expect(at(day, '2024-03-05T17:30:01')).toBe(false);
    const night = '--timestart 22:00 --timestop 02:00';
    expect(at(night, '2024-03-05T23:00:00')).toBe(true);
    expect(at(night, '2024-03-05T01:00:00')).toBe(true);
    expect(at(night, '2024-03-05T02:00:00')).toBe(true);
    expect(at(night, '2024-03-05T02:00:01')).toBe(false);
    expect(at(night, '2024-03-05T21:59:59')).toBe(false);
    expect(at(night, '2024-03-05T12:00:00')).toBe(false);
    // start == stop takes the crossing branch: every second passes
    expect(at('--timestart 05:00 --timestop 05:00', '2024-03-05T12:00:00')).toBe(true);
  });

  it('checks the weekday of the instant, or with --contiguous of the day the window began', () => {
    // 2024-01-01 was a Monday
    expect(at('--weekdays Mon,Fri', '2024-01-01T10:00:00')).toBe(true);
    expect(at('--weekdays Mon,Fri', '2024-01-05T10:00:00')).toBe(true);
    expect(at('--weekdays Mon,Fri', '2024-01-07T10:00:00')).toBe(false);
    expect(at('--weekdays 7', '2024-01-07T10:00:00')).toBe(true);
    expect(at('! --weekdays Sat,Sun', '2024-01-06T10:00:00')).toBe(false);
    expect(at('! --weekdays Sat,Sun', '2024-01-03T10:00:00')).toBe(true);
    const night = '--timestart 23:00 --timestop 01:00 --weekdays Mon';
    expect(at(night, '2024-01-01T23:30:00')).toBe(true);
    expect(at(night, '2024-01-02T00:30:00')).toBe(false); // Tuesday morning is Tuesday
    expect(at(night, '2024-01-01T00:30:00')).toBe(true); // Monday morning is Monday
    expect(at(`${night} --contiguous`, '2024-01-01T23:30:00')).toBe(true);
    expect(at(`${night} --contiguous`, '2024-01-02T00:30:00')).toBe(true); // belongs to Monday night
    expect(at(`${night} --contiguous`, '2024-01-02T01:00:00')).toBe(true);
    expect(at(`${night} --contiguous`, '2024-01-01T00:30:00')).toBe(false); // belongs to Sunday night
  });

  it('checks the day of the month through the kernel tables, leap years included', () => {
    expect(at('--monthdays 1,15', '2024-02-15T10:00:00')).toBe(true);
    expect(at('--monthdays 1,15', '2024-02-16T10:00:00')).toBe(false);
    expect(at('--monthdays 29', '2024-02-29T10:00:00')).toBe(true);
    expect(at('--monthdays 1', '2024-03-01T00:00:00')).toBe(true);
    expect(at('--monthdays 1', '2023-03-01T00:00:00')).toBe(true);
    expect(at('--monthdays 31', '2024-12-31T23:59:59')).toBe(true);
    expect(at('--monthdays 31', '2000-12-31T12:00:00')).toBe(true);
    expect(at('--monthdays 1', '2025-01-01T00:00:00')).toBe(true);
    expect(at('! --monthdays 1', '2025-01-01T00:00:00')).toBe(false);
    expect(at('! --monthdays 1', '2025-01-02T00:00:00')).toBe(true);
    // with --contiguous the morning part counts for the previous day's date
    expect(at('--timestart 22:00 --timestop 06:00 --contiguous --monthdays 31', '2025-02-01T05:00:00')).toBe(true);
  });

  it('bounds the instant by --datestart and --datestop, both inclusive', () => {
    const range = '--datestart 2024-01-01T10:00:00 --datestop 2024-01-01T11:00:00';
    expect(at(range, '2024-01-01T09:59:59')).toBe(false);
    expect(at(range, '2024-01-01T10:00:00')).toBe(true);
    expect(at(range, '2024-01-01T11:00:00')).toBe(true);
    expect(at(range, '2024-01-01T11:00:01')).toBe(false);
    expect(at('--datestart 2024', '2023-12-31T23:59:59')).toBe(false);
    expect(at('--datestart 2024', '2024-01-01T00:00:00')).toBe(true);
  });

  it('takes --kerneltz as UTC (sys_tz is 0 minutes west)', () => {
    expect(at('--timestart 09:00 --timestop 10:00 --kerneltz', '2024-01-01T09:30:00')).toBe(true);
    expect(at('--timestart 09:00 --timestop 10:00 --kerneltz', '2024-01-01T10:30:00')).toBe(false);
  });

  it('divides a stamp below zero as div_u64 does (1970-01-01 morning with --contiguous)', () => {
    const d = matchOf('-m time --timestart 23:00 --timestop 01:00 --contiguous').data as TimeData;
    const stamp = 1800 - 86400;
    const dse = Number((((1n << 64n) + BigInt(stamp)) / 86400n) & 0xffffffffn);
    const weekday = (((4 + dse - 1) >>> 0) % 7) + 1;
    expect(timeMatches({ ...d, weekdays: 1 << weekday }, 1800)).toBe(true);
    expect(timeMatches({ ...d, weekdays: 0xfe & ~(1 << weekday) }, 1800)).toBe(false);
  });
});

describe('time options and saved form (libxt_time)', () => {
  it('saves what the kernel struct holds, in time_save order', () => {
    const t = '--timestart 01:02:03 --timestop 04:05:06 --monthdays 1,2,3,4,5 --weekdays Mon,Fri,Sun --datestart 2001-02-03T04:05:06 --datestop 2012-09-08T09:06:05 --kerneltz';
    expect(saved(t)).toBe(`-m time ${t}`);
    expect(saved('')).toBe('-m time --datestop 2038-01-19T03:14:07');
    expect(saved('--utc')).toBe('-m time --datestop 2038-01-19T03:14:07');
    expect(saved('--timestart 8:00 --timestop 17:30')).toBe('-m time --timestart 08:00:00 --timestop 17:30:00 --datestop 2038-01-19T03:14:07');
    expect(saved('--timestop 12:00')).toBe('-m time --timestart 00:00:00 --timestop 12:00:00 --datestop 2038-01-19T03:14:07');
    expect(saved('--weekdays 1,2,Sa --localtz')).toBe('-m time --weekdays Mon,Tue,Sat --datestop 2038-01-19T03:14:07 --kerneltz');
    expect(saved('! --weekdays Sat,Sun')).toBe('-m time --weekdays Mon,Tue,Wed,Thu,Fri --datestop 2038-01-19T03:14:07');
    expect(saved('--monthdays 31,1,15')).toBe('-m time --monthdays 1,15,31 --datestop 2038-01-19T03:14:07');
    expect(saved('--timestart 23:00 --timestop 01:00 --contiguous --datestop 2030')).toBe(
      '-m time --timestart 23:00:00 --timestop 01:00:00 --datestop 2030-01-01T00:00:00 --contiguous',
    );
    // a date of 0 is not printed (time_print_date skips it), even when given
    expect(saved('--datestart 1970 --datestop 1970')).toBe('-m time');
  });

  it('normalises dates as mktime does and parses numbers with strtoul quirks', () => {
    expect(saved('--datestart 2023-02-31')).toBe('-m time --datestart 2023-03-03T00:00:00 --datestop 2038-01-19T03:14:07');
    expect(saved('--datestart 2001-00')).toBe('-m time --datestart 2000-12-01T00:00:00 --datestop 2038-01-19T03:14:07');
    expect(saved('--datestart 2001-03-00T10')).toBe('-m time --datestart 2001-02-28T10:00:00 --datestop 2038-01-19T03:14:07');
    // a --monthdays item is cut to two characters (its buffer), base 0: 010 is read as octal 01
    expect(saved('--monthdays 123,010')).toBe('-m time --monthdays 1,12 --datestop 2038-01-19T03:14:07');
    // a weekday name counts by its first two letters
    expect(saved('--weekdays Thursday,Fr')).toBe('-m time --weekdays Thu,Fri --datestop 2038-01-19T03:14:07');
  });

  it('rejects bad values and combinations', () => {
    expect(rejects('--timestart 24:00')).toBe('time: invalid time "24:00" specified, should be hh:mm[:ss] format and within the boundaries');
    expect(rejects('--timestop 12:60')).toBe('time: invalid time "60" specified, should be hh:mm[:ss] format and within the boundaries');
    expect(rejects('--timestop 12')).toMatch(/invalid time "12"/);
    expect(rejects('--datestart 1969-12-31')).toBe('time: Invalid date "1969-12-31" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]');
    expect(rejects('--datestop 2039')).toMatch(/Invalid date "2039"/);
    expect(rejects('--datestart 2020-01-01 10:00')).toMatch(/Bad argument|Invalid date/);
    expect(rejects('--datestart 2020-01-01T10:00:60')).toMatch(/Invalid date/);
    expect(rejects('--datestart 1970-00')).toBe('time: mktime returned an error');
    expect(rejects('--weekdays 0')).toBe('time: No, the week does NOT begin with Sunday.');
    expect(rejects('--weekdays Mo,xyz')).toBe('time: xyz is not a valid day specifier');
    expect(rejects('--monthdays 32')).toBe('time: 32 is not a valid day for --monthdays');
    expect(rejects('--timestart 01:00 --timestop 02:00 --contiguous')).toBe('time: --contiguous only makes sense when stoptime is smaller than starttime');
    expect(rejects('--utc --kerneltz')).toMatch(/"--kerneltz" cannot be used together with "--utc"/);
    expect(rejects('--localtz --utc')).toMatch(/"--utc" cannot be used together with "--localtz"/);
    expect(parseOne('-m time --localtz --kerneltz').issues).toEqual([]);
    expect(rejects('! --timestart 01:00')).toMatch(/cannot be inverted/);
    expect(rejects('--timestart 01:00 --timestart 02:00')).toMatch(/can only be used once/);
  });
});

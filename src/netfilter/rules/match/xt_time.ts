// `-m time [--datestart D] [--datestop D] [--timestart T] [--timestop T] [--contiguous] [[!] --monthdays L]
// [[!] --weekdays L] [--kerneltz | --utc]` (libxt_time.c; net/netfilter/xt_time.c time_mt with localtime_1..3).
// "Now" is the packet's processing instant on the capture's clock; parsing and save text are in time-parse.ts.

import type { MatchEnv, MatchModule, ParseContext } from '../module.js';
import type { Skb } from '../../skb.js';
import { badValue, conflict, noState } from '../mod-util.js';
import {
  parseDate, parseDaytime, parseMonthdays, parseWeekdays, timeText, TimeFlag, TIME_ALL_MONTHDAYS, TIME_ALL_WEEKDAYS,
  TIME_DEFAULT_DATESTOP, TIME_MAX_DAYTIME,
} from './time-parse.js';
import type { TimeData } from './time-parse.js';

export type { TimeData } from './time-parse.js';
export { TimeFlag } from './time-parse.js';

/**
 * sys_tz.tz_minuteswest, what `--kerneltz` shifts by. The kernel's timezone is set only when userspace calls
 * settimeofday() with one (hwclock --systz on hosts whose RTC keeps local time); hosts whose RTC is in UTC, as
 * container hosts are, keep 0. nfreplay models it as 0, so --kerneltz matches as UTC does.
 */
export const SYS_TZ_MINUTESWEST = 0;

const SECONDS_PER_DAY = 86400;
const LOCAL_TZ = TimeFlag.LOCAL_TZ;
const CONTIGUOUS = TimeFlag.CONTIGUOUS;

/** days_since_epoch of xt_time.c: days from 1970-01-01 to January 1st of 2039, 2038, ... 1970. */
const DAYS_SINCE_EPOCH = Uint16Array.from([
  25202, 24837, 24472, 24106, 23741, 23376, 23011, 22645, 22280, 21915, 21550, 21184, 20819, 20454, 20089, 19723,
  19358, 18993, 18628, 18262, 17897, 17532, 17167, 16801, 16436, 16071, 15706, 15340, 14975, 14610, 14245, 13879,
  13514, 13149, 12784, 12418, 12053, 11688, 11323, 10957, 10592, 10227, 9862, 9496, 9131, 8766, 8401, 8035, 7670,
  7305, 6940, 6574, 6209, 5844, 5479, 5113, 4748, 4383, 4018, 3652, 3287, 2922, 2557, 2191, 1826, 1461, 1096, 730,
  365, 0,
]);
const DSE_FIRST = 2039;
const DAYS_SINCE_YEAR = Uint16Array.from([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]);
const DAYS_SINCE_LEAPYEAR = Uint16Array.from([0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335]);

/**
 * div_u64(stamp, 86400) kept in the `unsigned int` xtm.dse. A stamp only goes below 0 on 1970-01-01 through
 * --contiguous's one-day step back; div_u64 then divides 2^64 + stamp, and 2^64 = 86400 * Q + 25216. HOT.
 */
function daysSinceEpoch(stamp: number): number {
  if (stamp >= 0) return Math.floor(stamp / SECONDS_PER_DAY) >>> 0;
  const q = 213503982334601; // floor(2^64 / 86400)
  return ((stamp >= -25216 ? q : q - 1) % 4294967296) >>> 0;
}

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

/** localtime_3: the day of the month (u8) of day `dse` since the epoch, through the kernel's tables. HOT. */
function monthday(dse: number): number {
  let i = 0;
  let year = DSE_FIRST;
  while (DAYS_SINCE_EPOCH[i]! > dse) {
    i++;
    year--;
  }
  const w = dse - DAYS_SINCE_EPOCH[i]!;
  const table = isLeap(year) ? DAYS_SINCE_LEAPYEAR : DAYS_SINCE_YEAR;
  let m = table.length - 1;
  while (m > 0 && table[m]! > w) m--;
  return (w - table[m]! + 1) & 0xff;
}

/**
 * The wall-clock second time_mt reads: ktime_get_real_seconds(), the processing time (kernels before the 2019
 * change "netfilter: never get/set skb->tstamp" read the skb's receive timestamp instead). In nfreplay
 * that is the packet's virtual time skb.nowNs (ns since the first replayed packet, when its vCPU starts on it)
 * on the capture's own clock: env.clock holds the first packet's capture timestamp, as the replay's outputs
 * stamp their packets. Never the host's wall clock. HOT.
 */
export function realSeconds(skb: Skb, env: MatchEnv): number {
  const c = env.clock;
  if (c === undefined) return Math.floor(skb.nowNs / 1e9);
  return c.baseSec + Math.floor((c.baseNsec + skb.nowNs) / 1e9);
}

/** time_mt. HOT. */
export function timeMatches(d: TimeData, stamp0: number): boolean {
  let stamp = stamp0;
  if ((d.flags & LOCAL_TZ) !== 0) stamp -= 60 * SYS_TZ_MINUTESWEST;
  if (stamp < d.dateStart || stamp > d.dateStop) return false;
  // localtime_1: seconds into the day
  const packetTime = stamp % SECONDS_PER_DAY;
  if (d.daytimeStart < d.daytimeStop) {
    if (packetTime < d.daytimeStart || packetTime > d.daytimeStop) return false;
  } else {
    // a daytime window across midnight; --contiguous counts its morning part as the previous day's
    if (packetTime < d.daytimeStart && packetTime > d.daytimeStop) return false;
    if ((d.flags & CONTIGUOUS) !== 0 && packetTime <= d.daytimeStop) stamp -= SECONDS_PER_DAY;
  }
  // localtime_2: 1970-01-01 was a Thursday (4); Sunday is 7
  const dse = daysSinceEpoch(stamp);
  const weekday = (((4 + dse - 1) >>> 0) % 7) + 1;
  if ((d.weekdays & (1 << weekday)) === 0) return false;
  if (d.monthdays !== TIME_ALL_MONTHDAYS && (d.monthdays & (1 << monthday(dse))) === 0) return false;
  return true;
}

const O_DATE_START = 0;
const O_DATE_STOP = 1;
const O_TIME_START = 2;
const O_TIME_STOP = 3;
const O_CONTIGUOUS = 4;
const O_WEEKDAYS = 5;
const O_MONTHDAYS = 6;
const O_LOCAL_TZ = 7;
const O_UTC = 8;
const O_KERNEL_TZ = 9;
const NAMES = ['datestart', 'datestop', 'timestart', 'timestop', 'contiguous', 'weekdays', 'monthdays', 'localtz', 'utc', 'kerneltz'];
/** The xt_option_entry .excl sets: --utc excludes --localtz and --kerneltz. */
const EXCL: Readonly<Record<number, number>> = {
  [O_LOCAL_TZ]: 1 << O_UTC,
  [O_UTC]: (1 << O_LOCAL_TZ) | (1 << O_KERNEL_TZ),
  [O_KERNEL_TZ]: 1 << O_UTC,
};

function valueOr(ctx: ParseContext, v: number | string): number {
  if (typeof v === 'string') badValue(ctx, v);
  return v;
}

export const timeMatch: MatchModule<TimeData, null> = {
  kind: 'match',
  name: 'time',
  family: 0,
  options: [
    { name: 'datestart', args: 1 },
    { name: 'datestop', args: 1 },
    { name: 'timestart', args: 1 },
    { name: 'timestop', args: 1 },
    { name: 'contiguous', args: 0 },
    { name: 'weekdays', args: 1, invert: true },
    { name: 'monthdays', args: 1, invert: true },
    { name: 'localtz', args: 0 },
    { name: 'utc', args: 0 },
    { name: 'kerneltz', args: 0 },
  ],
  // time_init: every day, all day, no date bounds, UTC
  init: () => ({
    dateStart: 0,
    dateStop: TIME_DEFAULT_DATESTOP,
    daytimeStart: 0,
    daytimeStop: TIME_MAX_DAYTIME,
    monthdays: TIME_ALL_MONTHDAYS,
    weekdays: TIME_ALL_WEEKDAYS,
    flags: 0,
    given: 0,
  }),
  parse(d, o, ctx) {
    const excl = EXCL[o.id] ?? 0;
    if ((d.given & excl) !== 0) {
      const other = NAMES[Math.log2(d.given & excl & -(d.given & excl))]!;
      conflict(ctx, `option "--${o.name}" cannot be used together with "--${other}"`);
    }
    d.given |= 1 << o.id;
    switch (o.id) {
      case O_DATE_START:
        d.dateStart = valueOr(ctx, parseDate(o.value));
        break;
      case O_DATE_STOP:
        d.dateStop = valueOr(ctx, parseDate(o.value));
        break;
      case O_TIME_START:
        d.daytimeStart = valueOr(ctx, parseDaytime(o.value));
        break;
      case O_TIME_STOP:
        d.daytimeStop = valueOr(ctx, parseDaytime(o.value));
        break;
      case O_CONTIGUOUS:
        d.flags |= CONTIGUOUS;
        break;
      case O_WEEKDAYS:
        d.weekdays = valueOr(ctx, parseWeekdays(o.value));
        if (o.invert) d.weekdays ^= TIME_ALL_WEEKDAYS;
        break;
      case O_MONTHDAYS:
        d.monthdays = valueOr(ctx, parseMonthdays(o.value));
        if (o.invert) d.monthdays = (d.monthdays ^ TIME_ALL_MONTHDAYS) >>> 0;
        break;
      case O_LOCAL_TZ: // libxt_time warns that --localtz is being replaced by --kerneltz
      case O_KERNEL_TZ:
        d.flags |= LOCAL_TZ;
        break;
      case O_UTC:
        break;
    }
  },
  // time_check (and time_mt_check's -EINVAL): a contiguous window must cross midnight
  finish(d, ctx) {
    if ((d.given & (1 << O_CONTIGUOUS)) !== 0 && d.daytimeStart < d.daytimeStop) {
      badValue(ctx, '--contiguous only makes sense when stoptime is smaller than starttime');
    }
  },
  print: (d) => timeText(d),
  createState: noState,
  // HOT: time_mt
  match: (d, skb, env) => timeMatches(d, realSeconds(skb, env)),
};

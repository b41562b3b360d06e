/**
 * Calendar fields of a Unix time in UTC, for the text formats that print dates (HTTP's IMF-fixdate,
 * ctime(3) in iptables-save's header). Pure arithmetic: no Date, so the same on every host.
 */

/** Weekday abbreviations, Sunday first (C's and HTTP's names). */
export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
/** Month abbreviations, January first. */
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** A moment's calendar fields (UTC). `month` is 1-12, `weekday` 0 (Sunday) to 6. */
export interface CivilTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

/** The calendar fields of `secs` seconds after 1970-01-01T00:00:00Z (proleptic Gregorian calendar). */
export function civilTime(secs: number): CivilTime {
  const s = Math.floor(secs);
  const days = Math.floor(s / 86400);
  const sod = s - days * 86400;
  // civil-from-days (Howard Hinnant's algorithm), exact for the proleptic Gregorian calendar
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return {
    year: yoe + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day,
    hour: Math.floor(sod / 3600),
    minute: Math.floor((sod % 3600) / 60),
    second: sod % 60,
    // 1970-01-01 was a Thursday
    weekday: (((days + 4) % 7) + 7) % 7,
  };
}

/** Two digits, zero-padded. */
export function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

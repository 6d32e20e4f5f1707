/**
 * Dates and timestamps in PostgreSQL input syntax from integer day counts, so years before 1 (written "BC") and
 * after 9999 come out right, and values PostgreSQL cannot hold are caught here rather than by a failed COPY.
 */

/** A value the target type cannot hold; the row encoder adds the column. */
export class UnrepresentableValue extends Error {}

const MS_PER_DAY = 86_400_000;

/** Proleptic Gregorian (year, month, day) for days since 1970-01-01 (H. Hinnant's civil_from_days). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** PostgreSQL's first date, 4714-11-24 BC (Julian day 0), and last dates of `date` and `timestamp`. */
export const PG_MIN_DAY = daysFromCivil(-4713, 11, 24);
export const PG_MAX_DATE_DAY = daysFromCivil(5_874_897, 12, 31);
export const PG_MAX_TIMESTAMP_DAY = daysFromCivil(294_276, 12, 31);

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

function ymd(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const bc = year <= 0;
  return `${pad(bc ? 1 - year : year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

const isBc = (days: number): boolean => civilFromDays(days).year <= 0;

/** Cassandra `date` (driver LocalDate) as days since the epoch. */
export function localDateDays(value: { date: Date; _value?: number | null }): number {
  const ms = value.date.getTime();
  return Number.isNaN(ms) ? Number(value._value) : Math.round(ms / MS_PER_DAY);
}

export function dateText(value: unknown): string {
  const days = localDateDays(value as { date: Date; _value?: number | null });
  if (days < PG_MIN_DAY || days > PG_MAX_DATE_DAY) {
    throw new UnrepresentableValue(`date ${String(value)} is outside PostgreSQL's date range (4714-11-24 BC to 5874897-12-31)`);
  }
  return `${ymd(days)}${isBc(days) ? ' BC' : ''}`;
}

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: between them the native ISO form only needs reshaping. */
const ISO_FIRST_MS = -62_135_596_800_000;
const ISO_LAST_MS = 253_402_300_799_999;

export function timestampText(value: unknown): string {
  const ms = (value as Date).getTime();
  if (ms >= ISO_FIRST_MS && ms <= ISO_LAST_MS) {
    const iso = (value as Date).toISOString();
    return `${iso.slice(0, 10)} ${iso.slice(11, 23)}+00`;
  }
  return slowTimestampText(ms);
}

/** Any instant PostgreSQL can hold, from the day count (BC years, years past 9999). */
export function slowTimestampText(ms: number): string {
  if (Number.isNaN(ms)) throw new UnrepresentableValue('timestamp is outside the range a JavaScript Date holds (±273,790 years)');
  const days = Math.floor(ms / MS_PER_DAY);
  if (days < PG_MIN_DAY || days > PG_MAX_TIMESTAMP_DAY) {
    throw new UnrepresentableValue(`timestamp ${ms} ms is outside PostgreSQL's timestamptz range (4714-11-24 BC to 294276-12-31)`);
  }
  const inDay = ms - days * MS_PER_DAY;
  const time = `${pad(Math.floor(inDay / 3_600_000), 2)}:${pad(Math.floor(inDay / 60_000) % 60, 2)}:${pad(Math.floor(inDay / 1000) % 60, 2)}.${pad(inDay % 1000, 3)}`;
  return `${ymd(days)} ${time}+00${isBc(days) ? ' BC' : ''}`;
}

/**
 * Numbers and dates as en-US `toLocaleString` writes them ("1,234.5", "Dec 4"), without the ICU
 * library behind `Intl`. The first Intl formatter a process builds maps the node binary's locale
 * and time-zone data into memory for good: about 6 MB resident for a number format, 11 MB for
 * luxon's first date (measured with /proc/self/smaps on node 20). The bot formats a few numbers
 * per card; that is not worth a tenth of its memory budget.
 *
 * Same output as `value.toLocaleString("en-US", { minimumFractionDigits, maximumFractionDigits })`
 * (checked against it on random values in the tests): ICU rounds the shortest decimal that reads
 * back as the number (what `String(value)` prints), half away from zero — not the exact binary
 * value `toFixed` rounds (1.005 is "1.01" here and "1.00" for toFixed).
 */
export interface FractionDigits {
  readonly minimumFractionDigits?: number;
  readonly maximumFractionDigits: number;
}

export function groupedNumber(value: number, digits: FractionDigits): string {
  if (Number.isNaN(value)) return "NaN";
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  if (!Number.isFinite(value)) return `${sign}∞`;
  const min = digits.minimumFractionDigits ?? 0;
  const max = Math.max(min, digits.maximumFractionDigits);
  const { whole, fraction } = roundShortest(Math.abs(value), max);
  let kept = fraction;
  while (kept.length > min && kept.endsWith("0")) kept = kept.slice(0, -1);
  return `${sign}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${kept === "" ? "" : `.${kept}`}`;
}

/** `abs` (finite, ≥ 0) rounded half away from zero to `places` decimals of its shortest decimal form. */
function roundShortest(abs: number, places: number): { whole: string; fraction: string } {
  const [mantissa = "0", exponent] = String(abs).split("e");
  const [intPart = "0", fracPart = ""] = mantissa.split(".");
  let digits = intPart + fracPart;
  // The decimal point sits after `point` digits; padded so that the digits cover the whole part.
  let point = intPart.length + (exponent === undefined ? 0 : Number(exponent));
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  if (digits.length < point) digits = digits.padEnd(point, "0");
  const keep = point + places;
  if (keep < digits.length) {
    const roundUp = digits.charCodeAt(keep) - 48 >= 5;
    digits = digits.slice(0, keep);
    if (roundUp) {
      const carried = increment(digits);
      if (carried.length > digits.length) point += 1;
      digits = carried;
    }
  }
  return { whole: digits.slice(0, point).replace(/^0+(?=\d)/, "") || "0", fraction: digits.slice(point).padEnd(places, "0") };
}

/** A decimal digit string plus one ("199" → "200", "99" → "100"). */
function increment(digits: string): string {
  const out = digits.split("");
  for (let i = out.length - 1; i >= 0; i -= 1) {
    if (out[i] !== "9") {
      out[i] = String.fromCharCode((out[i] ?? "0").charCodeAt(0) + 1);
      return out.join("");
    }
    out[i] = "0";
  }
  return `1${out.join("")}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

/** "Dec 4": the UTC month and day as `toLocaleString("en-US", { month: "short", day: "numeric", timeZone: "UTC" })` writes them. */
export const utcMonthDay = (ts: number): string => {
  const d = new Date(ts);
  return `${MONTHS[d.getUTCMonth()] ?? "?"} ${d.getUTCDate()}`;
};

/** "Fri 4 Dec 17:30": weekday, day, month and time in UTC (luxon's "ccc d LLL HH:mm" in en-US). */
export const utcWeekdayDayMonthTime = (ts: number): string => {
  const d = new Date(ts);
  return `${WEEKDAYS[d.getUTCDay()] ?? "?"} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? "?"} ${d.toISOString().slice(11, 16)}`;
};

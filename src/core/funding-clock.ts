/**
 * Funding settlement times. Venues settle on a fixed UTC grid (00/08/16 for 8 h, every hour for
 * 1 h); the interval comes from the exchange, never assumed per venue.
 */
const HOUR_MS = 3_600_000;

/** The first settlement strictly after `now` on a grid of `intervalHours` anchored at 00:00 UTC. */
export function nextFundingTime(now: number, intervalHours: number, anchorOffsetHours = 0): number {
  const step = intervalHours * HOUR_MS;
  const offset = anchorOffsetHours * HOUR_MS;
  return Math.floor((now - offset) / step) * step + step + offset;
}

/** Settlements in (from, to], for paying funding on a position held over that span. */
export function settlementsBetween(from: number, to: number, intervalHours: number, anchorOffsetHours = 0): number[] {
  const times: number[] = [];
  for (let t = nextFundingTime(from, intervalHours, anchorOffsetHours); t <= to; t += intervalHours * HOUR_MS) times.push(t);
  return times;
}

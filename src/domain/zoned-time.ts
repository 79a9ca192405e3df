// Wall-clock time in an IANA zone ↔ instants, with Intl only. Recurrence runs on wall-clock time
// ("09:00 in New York"), so each occurrence is mapped to its instant here, DST included.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The wall-clock reading of `instant` in `timeZone`, as a Date whose UTC fields hold it
 * ("floating" time — the form the rrule library computes in).
 */
export function toWallClock(instant: Date, timeZone: string): Date {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(instant).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return new Date(wall + instant.getUTCMilliseconds());
}

function offsetAt(instantMs: number, timeZone: string): number {
  const instant = new Date(instantMs);
  return toWallClock(instant, timeZone).getTime() - instantMs;
}

/**
 * The instant a wall-clock reading denotes in `timeZone`. A reading that happens twice (clocks
 * go back) is the first one; one that never happens (clocks go forward) moves forward by the gap,
 * as RFC 5545 prescribes: 02:30 on a spring-forward night in New York is 03:30 EDT.
 */
export function fromWallClock(wall: Date, timeZone: string): Date {
  const w = wall.getTime();
  const before = offsetAt(w - 12 * 3_600_000, timeZone);
  const after = offsetAt(w + 12 * 3_600_000, timeZone);
  const candidates = [w - before, w - after].filter((t) => offsetAt(t, timeZone) === w - t);
  if (candidates.length > 0) return new Date(Math.min(...candidates));
  return new Date(w - before);
}

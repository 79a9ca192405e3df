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
 * Zones whose wall clock is UTC itself: the default zone skips Intl, whose formatToParts is most of
 * a recurring completion's CPU (a next occurrence maps a handful of instants each way).
 */
export const UTC_ZONES: ReadonlySet<string> = new Set(["UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu", "GMT", "Etc/GMT", "Etc/GMT0", "GMT0", "Etc/Greenwich", "Greenwich"]);

/** The fields formatToParts fills, by part type. */
type WallFields = Partial<Record<Intl.DateTimeFormatPartTypes, number>>;

/** The zone's offset (wall clock − instant, in ms) at `instantMs`, as Intl reads it. */
function intlOffset(instantMs: number, timeZone: string): number {
  const f: WallFields = {};
  for (const part of formatter(timeZone).formatToParts(instantMs)) if (part.type !== "literal") f[part.type] = Number(part.value);
  const wallSeconds = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!);
  return wallSeconds - (instantMs - (((instantMs % 1000) + 1000) % 1000));
}

const HOUR_MS = 3_600_000;
const MAX_CACHED_HOURS = 4_096;
/**
 * Offsets by zone and UTC hour, kept only for hours whose first and last millisecond have the same
 * offset (no zone changes its offset twice within an hour): formatToParts costs microseconds, and
 * one next occurrence asks for a dozen offsets, mostly of the same few hours.
 */
const hourOffsets = new Map<string, Map<number, number>>();

function offsetAt(instantMs: number, timeZone: string): number {
  if (UTC_ZONES.has(timeZone)) return 0;
  let hours = hourOffsets.get(timeZone);
  if (!hours) hourOffsets.set(timeZone, (hours = new Map()));
  const hour = Math.floor(instantMs / HOUR_MS);
  const cached = hours.get(hour);
  if (cached !== undefined) return cached;
  const first = intlOffset(hour * HOUR_MS, timeZone);
  if (first !== intlOffset(hour * HOUR_MS + HOUR_MS - 1, timeZone)) return intlOffset(instantMs, timeZone); // a transition inside
  if (hours.size >= MAX_CACHED_HOURS) hours.clear();
  hours.set(hour, first);
  return first;
}

/**
 * The wall-clock reading of `instant` in `timeZone`, as a Date whose UTC fields hold it
 * ("floating" time — the form the rrule library computes in).
 */
export function toWallClock(instant: Date, timeZone: string): Date {
  return new Date(instant.getTime() + offsetAt(instant.getTime(), timeZone));
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

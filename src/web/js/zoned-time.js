// Wall-clock time in an IANA zone ↔ instants, with Intl only (no date library): the form edits a
// due time as the user reads it in the task's zone, the API stores an instant (RFC 3339).

const ZONE_KEY = "taskjet.timezone";

/** The zone this device is set to, as the browser reports it. */
export function detectedZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** The zone new tasks get: chosen in Settings, else the detected one. */
export function preferredZone() {
  const chosen = localStorage.getItem(ZONE_KEY);
  return chosen && isZone(chosen) ? chosen : detectedZone();
}

export function setPreferredZone(zone) {
  if (zone === detectedZone()) localStorage.removeItem(ZONE_KEY);
  else localStorage.setItem(ZONE_KEY, zone);
}

export function isZone(zone) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Every zone the browser knows, with UTC and `extra` (a task's own zone) always present. */
export function allZones(extra) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = [detectedZone()];
  }
  return [...new Set(["UTC", ...zones, ...(extra ? [extra] : [])])].sort();
}

const partsFormatters = new Map();
function partsIn(zone) {
  let format = partsFormatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    partsFormatters.set(zone, format);
  }
  return format;
}

/** The wall clock of `instant` (ms) in `zone`, as numbers. */
function wallClock(instant, zone) {
  const parts = {};
  for (const { type, value } of partsIn(zone).formatToParts(new Date(instant))) parts[type] = Number(value);
  return parts;
}

/** How far `zone` is ahead of UTC at `instant`, in ms. */
function offsetAt(instant, zone) {
  const p = wallClock(instant, zone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall time ("2026-05-01", "09:00") names in `zone`. The second pass settles the
 * offset near a DST change; a time skipped by DST moves forward by the gap, as clocks do.
 */
export function wallToInstant(date, time, zone) {
  const [y, mo, d] = date.split("-").map(Number);
  const [hh, mm] = (time || "00:00").split(":").map(Number);
  const asUtc = Date.UTC(y, mo - 1, d, hh, mm);
  const guess = asUtc - offsetAt(asUtc, zone);
  return new Date(asUtc - offsetAt(guess, zone));
}

const pad = (n) => String(n).padStart(2, "0");

/** `{date: "2026-05-01", time: "09:00"}` of an instant in `zone`. */
export function instantToWall(iso, zone) {
  const p = wallClock(Date.parse(iso), zone);
  return { date: `${p.year}-${pad(p.month)}-${pad(p.day)}`, time: `${pad(p.hour)}:${pad(p.minute)}` };
}

/** "Fri 1 May 2026, 09:00" in `zone`, with the zone named when it is not the viewer's. */
export function formatInstant(iso, zone = preferredZone(), { withYear = true } = {}) {
  const text = new Intl.DateTimeFormat(undefined, {
    timeZone: zone,
    weekday: "short",
    day: "numeric",
    month: "short",
    year: withYear ? "numeric" : undefined,
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(iso));
  return zone === preferredZone() ? text : `${text} (${zone.replace(/_/g, " ")})`;
}

/** "<input type=datetime-local>" value of an instant in `zone`, and back. */
export function toLocalInput(iso, zone) {
  const { date, time } = instantToWall(iso, zone);
  return `${date}T${time}`;
}
export function fromLocalInput(value, zone) {
  const [date, time] = value.split("T");
  return wallToInstant(date, time, zone);
}

/** "1 May 2026": the calendar date of an instant in `zone`. */
export function formatDate(iso, zone = preferredZone()) {
  return new Intl.DateTimeFormat(undefined, { timeZone: zone, day: "numeric", month: "short", year: "numeric" }).format(new Date(iso));
}

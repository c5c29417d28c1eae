/**
 * When was the photo taken? EXIF DateTimeOriginal (EXIF 2.32 §4.6.5, tag 0x9003, "YYYY:MM:DD HH:MM:SS" in the
 * camera's local time) with SubSecTimeOriginal and, when present, OffsetTimeOriginal ("+HH:MM", tag 0x9011) — if it
 * is plausible; otherwise the capture time the app recorded.
 *
 * Plausible means: a valid calendar date-time, not before {@link EARLIEST_PLAUSIBLE} (reset camera clocks say 1970;
 * there are no digital clinical photos from before 1990 to wrap), and not later than the capture time plus
 * {@link MAX_CLOCK_AHEAD_MS} (a photo cannot be taken after its upload; a few minutes of device clock drift are
 * tolerated). Older photos are kept with their own date on purpose: a wound photo taken at
 * home last week documents last week. Without OffsetTimeOriginal the camera is assumed to be in the server's zone.
 */
import type { TExifTags } from "@/lib/dicom/read-exif-tags";

/** 1990-01-01T00:00:00Z. */
export const EARLIEST_PLAUSIBLE = new Date(Date.UTC(1990, 0, 1));
/** How far a device clock may run ahead of the server: 10 minutes. */
export const MAX_CLOCK_AHEAD_MS = 10 * 60 * 1000;

/** The Content / Acquisition date-time chosen and where it came from. */
export type TContentDateTime = { dateTime: Date; source: "exif" | "capture" };

type TSixNumbers = [number, number, number, number, number, number];

const DATE_TIME = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
const OFFSET = /^([+-])(\d{2}):(\d{2})$/;

/**
 * @param tags - DateTimeOriginal and friends as read from EXIF
 * @returns the instant, or null when the value is missing or not a valid date-time
 */
export const parseExifDateTime = (
  tags: Pick<TExifTags, "dateTimeOriginal" | "offsetTimeOriginal" | "subSecTimeOriginal">,
): Date | null => {
  const m = DATE_TIME.exec(tags.dateTimeOriginal ?? "");
  if (m === null) {
    return null;
  }
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as TSixNumbers;
  if (hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const subSec = tags.subSecTimeOriginal ?? "";
  const ms = /^\d+$/.test(subSec) ? Math.floor(Number(`0.${subSec}`) * 1000) : 0;
  // Date.UTC would silently roll 31 February over into March: compare the calendar date back.
  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  if (utc.getUTCFullYear() !== year || utc.getUTCMonth() !== month - 1 || utc.getUTCDate() !== day) {
    return null;
  }
  const offset = OFFSET.exec(tags.offsetTimeOriginal ?? "");
  if (offset === null) {
    return new Date(year, month - 1, day, hour, minute, second, ms); // the server's zone
  }
  const offsetMinutes = (offset[1] === "-" ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));
  return new Date(utc.getTime() - offsetMinutes * 60_000);
};

/**
 * @param tags - EXIF date tags of the photo, or null when it has none
 * @param captureTime - when the app received the photo (`context.instance.contentDateTime`)
 * @param preferExif - false when the device clock is not trusted: the capture time is always used
 * @returns the Content / Acquisition date-time and where it came from
 */
export const resolveContentDateTime = (
  tags: Pick<TExifTags, "dateTimeOriginal" | "offsetTimeOriginal" | "subSecTimeOriginal"> | null,
  captureTime: Date,
  preferExif = true,
): TContentDateTime => {
  const exif = preferExif && tags !== null ? parseExifDateTime(tags) : null;
  if (
    exif !== null &&
    exif.getTime() >= EARLIEST_PLAUSIBLE.getTime() &&
    exif.getTime() <= captureTime.getTime() + MAX_CLOCK_AHEAD_MS
  ) {
    return { dateTime: exif, source: "exif" };
  }
  return { dateTime: captureTime, source: "capture" };
};

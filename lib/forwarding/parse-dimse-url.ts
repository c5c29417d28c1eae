/**
 * A DIMSE (C-STORE) destination is kept like a DICOMweb one, as a URL: `dicom://CALLED_AE@host:port`, with the
 * calling AE title in `?calling=` (default ENCAPTURE). One column, one form field, and the URL says everything an
 * admin needs to see.
 */
import { AppError } from "../errors";
import type { TAssociationParams } from "./dimse/associate";

export const DEFAULT_CALLING_AET = "ENCAPTURE";

/** AE title (PS3.5 AE VR): 1–16 characters, no backslash or control characters, not only spaces. */
const isAeTitle = (v: string): boolean => /^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(v) && v.trim() !== "";

/**
 * @param url - `dicom://CALLED@host:port[?calling=CALLING]`
 * @returns host, port and AE titles of the association
 * @throws AppError (bad_request) naming what is wrong
 */
export const parseDimseUrl = (url: string): Pick<TAssociationParams, "host" | "port" | "calledAet" | "callingAet"> => {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AppError("bad_request", `not a URL: ${url}`);
  }
  if (u.protocol !== "dicom:") {
    throw new AppError("bad_request", "a C-STORE destination is written dicom://CALLED_AE@host:port");
  }
  const calledAet = decodeURIComponent(u.username);
  const callingAet = u.searchParams.get("calling") ?? DEFAULT_CALLING_AET;
  const port = Number(u.port);
  if (!isAeTitle(calledAet)) {
    throw new AppError("bad_request", "the called AE title (before @) must be 1–16 characters");
  }
  if (!isAeTitle(callingAet)) {
    throw new AppError("bad_request", "the calling AE title (?calling=) must be 1–16 characters");
  }
  if (!u.hostname || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AppError("bad_request", "a C-STORE destination needs host:port, e.g. dicom://VNA@vna.example.org:104");
  }

  return { host: u.hostname.replace(/^\[|\]$/g, ""), port, calledAet, callingAet };
};

/** Why an instance shows a placeholder instead of its picture. */
export type TPlaceholderReason = "sensitive" | "archived" | "video" | "unavailable";

const LABEL: Record<TPlaceholderReason, [string, string]> = {
  sensitive: ["Sensitive image", "restricted"],
  archived: ["In archive", "local copy removed"],
  video: ["Video", "no preview"],
  unavailable: ["No preview", ""],
};

/**
 * A small SVG placeholder (160×120) with a two-line label; fixed size like a thumbnail, so nothing shifts.
 * @param reason - why there is no picture
 */
export const renderPlaceholderSvg = (reason: TPlaceholderReason): string => {
  const [title, sub] = LABEL[reason];

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="120" viewBox="0 0 160 120" role="img" aria-label="${title}">`,
    `<rect width="160" height="120" fill="${reason === "sensitive" ? "#fef3c7" : "#e2e8f0"}"/>`,
    `<text x="80" y="60" text-anchor="middle" font-family="sans-serif" font-size="15" font-weight="700" fill="#1e293b">${title}</text>`,
    sub ? `<text x="80" y="80" text-anchor="middle" font-family="sans-serif" font-size="12" fill="#334155">${sub}</text>` : "",
    `</svg>`,
  ].join("");
};

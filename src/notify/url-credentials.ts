/**
 * Splits the user info out of an http(s) URL. fetch() refuses URLs with credentials, and
 * messages must never show them: the request goes to `url` with the credentials in a header,
 * and `display` is what messages print.
 */
export interface SplitUrl {
  /** The URL without user info, query or fragment, and without a trailing slash. */
  url: string;
  /** The same, for messages (identical to `url`; kept separate so that callers say what they mean). */
  display: string;
  user: string | undefined;
  pass: string | undefined;
}

/** Returns undefined when `text` is not an absolute http(s) URL. */
export function splitCredentials(text: string): SplitUrl | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return undefined;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return undefined;
  const user = u.username ? decodeURIComponent(u.username) : undefined;
  const pass = u.password ? decodeURIComponent(u.password) : undefined;
  const url = `${u.origin}${u.pathname}`.replace(/\/+$/, "");
  return { url, display: url, user, pass };
}

/** A URL as messages may show it: no user info, no query (it may hold a token). */
export function displayUrl(text: string): string {
  return splitCredentials(text)?.display ?? "(invalid URL)";
}

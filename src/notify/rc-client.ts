/**
 * A minimal client for rclone's remote control API (https://rclone.org/rc/): POST
 * <url>/<method> with a JSON object, basic auth, a JSON object back. Failures are RcError with a
 * message that says what to do; credentials never appear in it.
 */

export interface RcTarget {
  /** The rc base URL without credentials or trailing slash (includes any --rc-baseurl). */
  url: string;
  user?: string | undefined;
  pass?: string | undefined;
  /** The VFS to address when the rclone process serves more than one. */
  fs?: string | undefined;
}

export class RcError extends Error {
  override readonly name = "RcError";
}

export async function callRc(
  target: RcTarget,
  method: string,
  params: Record<string, string>,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (target.user !== undefined || target.pass !== undefined) {
    headers["authorization"] =
      `Basic ${Buffer.from(`${target.user ?? ""}:${target.pass ?? ""}`, "utf8").toString("base64")}`;
  }
  const body = JSON.stringify(target.fs === undefined ? params : { ...params, fs: target.fs });
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${target.url}/${method}`, {
      method: "POST",
      headers,
      body,
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (e) {
    throw new RcError(fetchFailure(e, timeoutMs));
  }
  const json = parseObject(text);
  if (res.ok && json) return json;
  const detail = typeof json?.["error"] === "string" ? json["error"] : text.trim().slice(0, 200) || res.statusText;
  if (res.status === 401) {
    return fail(
      `rclone rejected the credentials (HTTP 401): give its --rc-user/--rc-pass as ` +
        `WSPUB_MOUNT_RC_USER/WSPUB_MOUNT_RC_PASS or in the mount's "user"/"passEnv"`,
    );
  }
  if (res.status === 403 && /authentication must be set up/i.test(detail)) {
    return fail(
      `rclone's remote control has no authentication, and rclone >= 1.74 refuses ${method} without it: start the ` +
        `mount with --rc-user and --rc-pass (or RCLONE_RC_USER/RCLONE_RC_PASS)`,
    );
  }
  if (res.status === 404)
    return fail(
      `${method} not found (HTTP 404): is this rclone's remote control (rclone mount --rc), with any ` +
        `--rc-baseurl in the URL?`,
    );
  if (res.ok) return fail(`rclone answered ${method} with something that is not a JSON object`);
  return fail(`rclone answered ${method} with HTTP ${res.status}: ${detail}`);
}

function fail(message: string): never {
  throw new RcError(message);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Why a request got no answer; used for the webhook too. */
export function fetchFailure(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError" || err.name === "AbortError")
    return `no answer within ${(timeoutMs / 1000).toFixed(0)} s`;
  const code = err.cause?.code;
  if (code) return `cannot connect (${code})`;
  // fetch() refuses some ports outright (https://fetch.spec.whatwg.org/#port-blocking).
  if (err.cause?.message === "bad port")
    return (
      `fetch refuses this port (one of the Fetch standard's blocked "bad ports", such as 1, 9 or 6000): ` +
      "use another port"
    );
  return `cannot connect (${err.cause?.message ?? err.message ?? String(e)})`;
}

import { WEBHOOK_TIMEOUT_MS } from "../limits.js";
import { fetchFailure } from "./rc-client.js";
import type { WebhookTarget } from "./notify-settings.js";
import type { WebhookOutcome } from "./visibility.js";

/** POSTs `payload` as JSON. Never throws: the outcome says whether the receiver took it (2xx). */
export async function postWebhook(target: WebhookTarget, payload: unknown): Promise<WebhookOutcome> {
  try {
    const res = await fetch(target.url, {
      method: "POST",
      headers: target.headers,
      body: JSON.stringify(payload),
      redirect: "error",
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { url: target.display, ok: true, status: res.status };
    return {
      url: target.display,
      ok: false,
      status: res.status,
      error: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`,
    };
  } catch (e) {
    return { url: target.display, ok: false, status: null, error: fetchFailure(e, WEBHOOK_TIMEOUT_MS) };
  }
}

import { parentPort } from "node:worker_threads";
import { inProcessLint } from "./secretlint.js";

/**
 * The credential scan's worker thread (filter/secretlint.ts starts it): lints the texts it is sent,
 * in order, and answers with the findings (rule, message id, range, line; never a value).
 */
const port = parentPort;
if (port) {
  const lint = await inProcessLint();
  port.on("message", async (m: { id: number; path: string; text: string; alone: boolean }) => {
    try {
      port.postMessage({ id: m.id, findings: await lint(m.path, m.text, m.alone) });
    } catch (e) {
      port.postMessage({ id: m.id, error: (e as Error).message });
    }
  });
}

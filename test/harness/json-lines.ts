import type { Readable } from "node:stream";

/**
 * Calls `each` with every JSON line a process writes to `stream` (`wspub watch --json`), parsed,
 * as the lines complete; blank lines are skipped.
 */
export function onJsonLines<T>(stream: Readable, each: (line: T) => void): void {
  let buffered = "";
  stream.on("data", (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() !== "") each(JSON.parse(line) as T);
    }
  });
}

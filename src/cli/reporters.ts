import { SingleBar, Presets } from "cli-progress";
import type { PublishEvent, Reporter } from "../events.js";

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  /** stderr is a terminal: progress bars are shown there. */
  isTTY: boolean;
}

/** Human output: notices and warnings on stderr, a progress bar on a TTY for publishes of more than a few files. */
export function humanReporter(io: Output): Reporter & { stop(): void } {
  let bar: SingleBar | undefined;
  return {
    event(e: PublishEvent) {
      switch (e.type) {
        case "notice":
          io.err(`wspub: ${e.message}`);
          break;
        case "warning":
          io.err(`wspub: warning: ${e.message}`);
          break;
        case "plan":
          if (io.isTTY && e.put + e.copy > 50) {
            bar = new SingleBar(
              {
                format: "  {bar} {value}/{total} files | {eta_formatted} left",
                stream: process.stderr,
                clearOnComplete: true,
              },
              Presets.shades_classic,
            );
            bar.start(e.put + e.copy, 0);
          }
          break;
        case "progress":
          bar?.update(e.done);
          break;
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** With --json, stdout carries only the final object; warnings still reach stderr. */
export function jsonReporter(io: Output): Reporter & { stop(): void } {
  return {
    event(e: PublishEvent) {
      if (e.type === "warning" || e.type === "notice")
        io.err(`wspub: ${e.type === "warning" ? "warning: " : ""}${e.message}`);
    },
    stop() {},
  };
}

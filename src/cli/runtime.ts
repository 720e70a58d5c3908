import type { Launcher } from "../hooks/script.js";

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  /** stderr is a terminal: progress bars are shown there. */
  isTTY: boolean;
}

/** What the CLI gets from the process (run.ts): it never reads process.argv or calls process.exit itself. */
export interface Runtime {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  io: Output;
  /** How installed hooks start this CLI again: the node binary and entry script running now. */
  launcher?: Launcher;
  /** Registers what to do on SIGTERM/SIGINT (`wspub watch` stops); the process entry wires it. */
  onStop?: (stop: () => void) => void;
}

/** A command's action gives its exit code here. */
export type SetExitCode = (code: number) => void;

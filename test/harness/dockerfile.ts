import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const repoRoot = resolve(import.meta.dirname, "../..");

export interface Instruction {
  keyword: string;
  args: string;
  /** 1-based line of the instruction's start. */
  line: number;
}

/** The Dockerfile's instructions, with continuation lines joined and comments dropped. */
export function readDockerfile(file = join(repoRoot, "Dockerfile")): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((raw, i) => {
      const line = raw.trim();
      if (pending === undefined && (line === "" || line.startsWith("#"))) return;
      if (pending !== undefined && line.startsWith("#")) return; // a comment inside a continued RUN
      const text = line.endsWith("\\") ? line.slice(0, -1) : line;
      pending = pending === undefined ? { text, line: i + 1 } : { ...pending, text: `${pending.text} ${text}` };
      if (!line.endsWith("\\")) {
        const [keyword = "", ...rest] = pending.text.split(/\s+/);
        out.push({ keyword: keyword.toUpperCase(), args: rest.join(" "), line: pending.line });
        pending = undefined;
      }
    });
  return out;
}

/** The final stage's instructions (after its FROM). */
export function finalStage(instructions: Instruction[]): Instruction[] {
  const from = instructions.map((x) => x.keyword).lastIndexOf("FROM");
  return instructions.slice(from);
}

/**
 * The command the image runs: its ENTRYPOINT and CMD (exec form), and where its COPY instructions
 * put files from the build stage (`/opt/wspub/bin` <- `bin`, ...).
 */
export function imageCommand(): { argv: string[]; copies: { from: string; to: string }[]; workdir: string } {
  const stage = finalStage(readDockerfile());
  const exec = (keyword: string) => JSON.parse(stage.find((x) => x.keyword === keyword)?.args ?? "[]") as string[];
  const workdir = stage.find((x) => x.keyword === "WORKDIR")?.args ?? "/";
  const copies = stage
    .filter((x) => x.keyword === "COPY")
    .map((x) => {
      const parts = x.args.split(/\s+/).filter((p) => !p.startsWith("--"));
      const to = parts[1]!;
      return { from: parts[0]!.replace(/^\/src\//, ""), to: to.startsWith("/") ? to : join(workdir, to) };
    });
  return { argv: [...exec("ENTRYPOINT"), ...exec("CMD")], copies, workdir };
}

/**
 * Turns the lines of an ignore file that lives in directory `base` into patterns relative to the
 * repository root, so that every source (defaults, each `.gitignore`, `.dockerignore`, config,
 * `.wspubignore`) can go into ONE `ignore` matcher in precedence order. One matcher keeps git's
 * rules intact: the last matching pattern wins, and a file under an excluded directory cannot be
 * re-included (gitignore(5), "It is not possible to re-include a file if a parent directory of
 * that file is excluded").
 */

export interface Rule {
  /** The pattern, rebased onto the repository root, in gitignore syntax. */
  pattern: string;
  /** Where it came from, e.g. `.gitignore:3: secret-keys/`, shown by `wspub files --explain`. */
  source: string;
}

export type Syntax = "gitignore" | "dockerignore";

/** Strips a line as git does: comments, unescaped trailing spaces, CR of CRLF files. */
export function cleanLine(raw: string): string | undefined {
  let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (line === "" || line.startsWith("#")) return undefined;
  // Trailing spaces (not tabs) are ignored unless escaped with a backslash (gitignore(5)).
  line = line.replace(/(?<!\\) +$/, "");
  return line === "" ? undefined : line;
}

/**
 * Rebases one pattern from directory `base` ("" or "a/b/") onto the repository root.
 * gitignore: a pattern with a slash before its end is anchored to `base`; one without matches at
 * any depth below it (the result starts with `/` when anchored, so that the `ignore` package anchors
 * it at the repository root too). dockerignore: every pattern is anchored to the build context root
 * (https://docs.docker.com/build/concepts/context/#dockerignore-files).
 */
export function rebasePattern(line: string, base: string, syntax: Syntax): string {
  const negative = line.startsWith("!");
  const body = negative ? line.slice(1) : line;
  const bang = negative ? "!" : "";
  // The base is a literal directory name: its glob characters must not act as globs.
  const root = `/${escapeGlob(base)}`;
  if (syntax === "dockerignore") return `${bang}${root}${body.replace(/^\/+/, "")}`;
  const anchored = body.startsWith("/") || body.replace(/\/+$/, "").includes("/");
  if (anchored) return `${bang}${root}${body.replace(/^\//, "")}`;
  return base === "" ? `${bang}${body}` : `${bang}${root}**/${body}`;
}

/** Escapes gitignore glob characters so that a directory name matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/** Parses an ignore file's text into rebased rules, keeping line numbers for `--explain`. */
export function parseIgnoreFile(text: string, base: string, file: string, syntax: Syntax): Rule[] {
  const rules: Rule[] = [];
  // git skips a UTF-8 byte order mark at the start of an ignore file.
  text
    .replace(/^\uFEFF/, "")
    .split("\n")
    .forEach((raw, index) => {
      const line = cleanLine(raw);
      if (line === undefined || line === "!") return;
      rules.push({ pattern: rebasePattern(line, base, syntax), source: `${file}:${index + 1}: ${line}` });
    });
  return rules;
}

/** Rules given as a list (defaults, config), gitignore syntax, relative to `base`. */
export function rulesFromList(patterns: readonly string[], base: string, source: string): Rule[] {
  return patterns.flatMap((p) => {
    const line = cleanLine(p);
    return line === undefined
      ? []
      : [{ pattern: rebasePattern(line, base, "gitignore"), source: `${source}: ${line}` }];
  });
}

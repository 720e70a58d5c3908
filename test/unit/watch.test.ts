import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatWatchEvent, watchEventJson } from "../../src/cli/watch-log.js";
import { WspubError } from "../../src/errors.js";
import { discoverRepositories } from "../../src/watch/discover.js";
import { parseListen } from "../../src/watch/http.js";
import { escapeLabel, WatchMetrics } from "../../src/watch/metrics.js";

describe("watch: metrics in the Prometheus text format", () => {
  it("renders counters and gauges per workspace, with HELP and TYPE lines", () => {
    const m = new WatchMetrics();
    m.recordPublish("www", "published", 1_700_000_000_000);
    m.recordPublish("www", "noop", 1_700_000_060_000);
    m.recordPublish("api", "failed", 1_700_000_000_000);
    m.setLive("www", 12, 3456);
    m.setBehind("api", 3, 1_700_000_000_000);
    const text = m.render(1_700_000_090_000);
    expect(text).toContain('wspub_publishes_total{workspace="www",result="published"} 1');
    expect(text).toContain('wspub_publishes_total{workspace="www",result="noop"} 1');
    expect(text).toContain('wspub_publishes_total{workspace="api",result="failed"} 1');
    expect(text).toContain('wspub_publishes_total{workspace="api",result="refused"} 0');
    expect(text).toContain('wspub_last_success_timestamp_seconds{workspace="www"} 1700000060');
    expect(text).not.toContain('wspub_last_success_timestamp_seconds{workspace="api"}');
    expect(text).toContain('wspub_commits_not_live{workspace="api"} 3');
    expect(text).toContain('wspub_seconds_not_live{workspace="api"} 90');
    expect(text).toContain('wspub_seconds_not_live{workspace="www"} 0');
    expect(text).toContain('wspub_live_files{workspace="www"} 12');
    expect(text).toContain('wspub_live_bytes{workspace="www"} 3456');
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+$/m);
    // Every sample line belongs to a family declared just before it.
    let family = "";
    for (const line of text.trimEnd().split("\n")) {
      const type = /^# TYPE (\S+) (counter|gauge)$/.exec(line);
      if (type) family = type[1]!;
      else if (!line.startsWith("# HELP "))
        expect(line.startsWith(`${family}{`) || line.startsWith(`${family} `), line).toBe(true);
    }
  });

  it("escapes label values", () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});

describe("watch: --listen", () => {
  it.each([
    ["127.0.0.1:9464", { host: "127.0.0.1", port: 9464 }],
    [":9464", { host: "0.0.0.0", port: 9464 }],
    ["[::1]:80", { host: "::1", port: 80 }],
    ["localhost:0", { host: "localhost", port: 0 }],
  ])("%s", (text, expected) => expect(parseListen(text)).toEqual(expected));

  it.each(["9464", "host:", "host:99999", "a:b"])("%s is a usage error", (text) => {
    expect(() => parseListen(text)).toThrow(WspubError);
  });
});

describe("watch: finding repositories", () => {
  const root = mkdtempSync(join(tmpdir(), "wspub-discover-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("a repository, or the repositories directly in a directory; a missing path is named", async () => {
    for (const d of ["ws/www/.git", "ws/api/.git", "ws/not-a-repo/sub/.git", "ws/.hidden/.git", "single/.git"]) {
      mkdirSync(join(root, d), { recursive: true });
    }
    writeFileSync(join(root, "ws", "worktree-file"), "");
    mkdirSync(join(root, "ws", "wt"));
    writeFileSync(join(root, "ws", "wt", ".git"), "gitdir: elsewhere\n");
    const found = await discoverRepositories([join(root, "ws"), join(root, "single"), join(root, "nope")]);
    expect(found.repositories).toEqual(
      [join(root, "single"), join(root, "ws/api"), join(root, "ws/wt"), join(root, "ws/www")].sort(),
    );
    expect(found.missing).toEqual([join(root, "nope")]);
  });
});

describe("watch: log lines", () => {
  const at = new Date("2026-12-01T12:00:00Z");
  it("a failure says whether and when it is retried; JSON lines carry every field", () => {
    const failed = {
      type: "failed" as const,
      dir: "/w/www",
      trigger: "change" as const,
      commit: "a".repeat(40),
      message: "cannot reach the S3 endpoint",
      exitCode: 1,
      retryInMs: 2000,
    };
    expect(formatWatchEvent(failed, at)).toBe(
      `2026-12-01T12:00:00.000Z /w/www ${"a".repeat(12)} FAILED (change): cannot reach the S3 endpoint; retrying in 2 s`,
    );
    expect(formatWatchEvent({ ...failed, retryInMs: null }, at)).toMatch(/not retried until the branch moves$/);
    expect(JSON.parse(watchEventJson(failed, at))).toEqual({
      time: "2026-12-01T12:00:00.000Z",
      event: "failed",
      dir: "/w/www",
      trigger: "change",
      commit: "a".repeat(40),
      message: "cannot reach the S3 endpoint",
      exitCode: 1,
      retryInMs: 2000,
    });
  });
});

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { PublishEvent } from "../../src/events.js";
import type { PublishResult } from "../../src/publish/request.js";
import { Layout } from "../../src/store/layout.js";
import { parseTarget, withConnection } from "../../src/store/target.js";
import { KERNEL_MARGIN_MS } from "../../src/limits.js";
import { notifyPublished, refreshSlot } from "../../src/notify/notify-published.js";
import type { MountTarget, NotifySettings, WebhookTarget } from "../../src/notify/notify-settings.js";
import { formatVisibility } from "../../src/cli/format.js";

/** A stand-in for rclone's remote control (and a webhook receiver) on 127.0.0.1: records requests, answers from `reply`. */
interface Call {
  path: string;
  body: unknown;
  authorization: string | undefined;
  at: number;
}
let server: Server;
let base: string;
/** A loopback port nothing listens on (fetch refuses the "bad ports" such as 9 before connecting). */
let closed: string;
let calls: Call[];
let reply: (path: string, body: Record<string, unknown>) => { status: number; body: unknown };

const rcOk = (path: string, body: Record<string, unknown>) =>
  path.endsWith("/vfs/forget")
    ? { status: 200, body: { forgotten: [body["dir"]] } }
    : { status: 200, body: { result: { [String(body["dir"] ?? "")]: "OK" } } };

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString("utf8")));
    req.on("end", () => {
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      calls.push({ path: req.url ?? "", body, authorization: req.headers.authorization, at: Date.now() });
      const r = reply(req.url ?? "", body);
      res.writeHead(r.status, { "content-type": "application/json" });
      res.end(typeof r.body === "string" ? r.body : JSON.stringify(r.body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", ok));
  closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((ok) => probe.close(() => ok()));
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));
beforeEach(() => {
  calls = [];
  reply = rcOk;
});

const result: PublishResult = {
  workspace: "myapp",
  preview: null,
  commit: "c".repeat(40),
  previous: "b".repeat(40),
  target: "s3://bucket/sites",
  endpoint: null,
  uploaded: 1,
  copied: 0,
  deleted: 2,
  unchanged: 3,
  bytesUploaded: 10,
  manifest: "sites/.wspub/myapp/manifests/x.json",
  durationMs: 5,
  dryRun: false,
  noop: false,
  incremental: true,
  files: 4,
  bytes: 40,
  excluded: 0,
  submodules: [],
  changes: { uploaded: ["a"], copied: [], deleted: ["b", "c"], truncated: false },
};
const layout = new Layout(
  withConnection(parseTarget("s3://bucket/sites", "/"), { endpoint: undefined, region: undefined }),
  "myapp",
);
const PASSWORD = "rc-secret-never-printed";
const mount = (over: Partial<MountTarget> = {}): MountTarget => ({
  url: `${base}/rc`,
  display: `${base}/rc`,
  user: "wspub",
  pass: PASSWORD,
  root: "",
  attrTimeoutMs: 1000,
  ...over,
});
const hook = (over: Partial<WebhookTarget> = {}): WebhookTarget => ({
  url: `${base}/hook`,
  display: `${base}/hook`,
  headers: { "content-type": "application/json", authorization: "Bearer tok" },
  ...over,
});

async function run(settings: Partial<NotifySettings>) {
  const events: PublishEvent[] = [];
  const waits: number[] = [];
  const visibility = await notifyPublished({
    result,
    layout,
    settings: { mounts: [], webhook: undefined, warnings: [], ...settings },
    reporter: { event: (e) => events.push(e) },
    wait: async (ms) => {
      waits.push(ms);
      calls.push({ path: "(wait)", body: ms, authorization: undefined, at: Date.now() });
    },
  });
  const warnings = events.filter((e) => e.type === "warning").map((e) => (e as { message: string }).message);
  return { visibility, warnings, waits };
}

describe("notifyPublished: a reachable mount", () => {
  it("marks the workspace and its ancestors stale, refreshes it recursively, waits past the attribute timeout, refreshes again, then calls the webhook", async () => {
    const { visibility, warnings, waits } = await run({ mounts: [mount({ attrTimeoutMs: 1500 })], webhook: hook() });
    expect(warnings).toEqual([]);
    expect(calls.map((c) => [c.path, c.body])).toEqual([
      ["/rc/vfs/forget", { file1: "sites", file2: "sites/myapp" }],
      ["/rc/vfs/refresh", { dir: "sites/myapp", recursive: "true" }],
      ["(wait)", 1500 + KERNEL_MARGIN_MS],
      ["/rc/vfs/refresh", { dir: "sites/myapp", recursive: "true" }],
      [
        "/hook",
        expect.objectContaining({
          event: "wspub.published",
          workspace: "myapp",
          commit: result.commit,
          previous: result.previous,
          url: "s3://bucket/sites/myapp/",
          prefix: "sites/myapp/",
        }),
      ],
    ]);
    expect(calls[0]!.authorization).toBe(`Basic ${Buffer.from(`wspub:${PASSWORD}`).toString("base64")}`);
    expect(calls[4]!.authorization).toBe("Bearer tok");
    expect((calls[4]!.body as { visibility: unknown }).visibility).toEqual({
      visible: true,
      waitedMs: expect.any(Number),
      mounts: [expect.objectContaining({ ok: true, dir: "sites/myapp" })],
    });
    expect(waits).toEqual([1500 + KERNEL_MARGIN_MS]);
    expect(visibility).toMatchObject({
      visible: true,
      mounts: [{ url: `${base}/rc`, dir: "sites/myapp", ok: true }],
      webhook: { ok: true, status: 200 },
    });
    expect(formatVisibility(visibility!)).toMatch(
      /mount .*\/rc \(sites\/myapp\): refreshed\n {2}visible through the mount \d+\.\d\d s after the publish\n {2}webhook .*\/hook: HTTP 200/,
    );
  });

  it("a mount of remote:bucket/sites (root 'sites') is told about 'myapp'; the fs parameter is passed when set", async () => {
    await run({ mounts: [mount({ root: "sites", fs: "minio:bucket/sites" })] });
    expect(calls.map((c) => c.body)).toEqual([
      { file1: "myapp", fs: "minio:bucket/sites" },
      { dir: "myapp", recursive: "true", fs: "minio:bucket/sites" },
      1000 + KERNEL_MARGIN_MS,
      { dir: "myapp", recursive: "true", fs: "minio:bucket/sites" },
    ]);
  });

  it("a mount of the workspace itself (root = <prefix>/<name>): no forget, a refresh of its root", async () => {
    await run({ mounts: [mount({ root: "sites/myapp" })] });
    expect(calls.map((c) => [c.path, c.body])).toEqual([
      ["/rc/vfs/refresh", { recursive: "true" }],
      ["(wait)", 1000 + KERNEL_MARGIN_MS],
      ["/rc/vfs/refresh", { recursive: "true" }],
    ]);
  });

  it("waits for the longest attribute timeout among the mounts that confirmed", async () => {
    const { waits } = await run({ mounts: [mount({ attrTimeoutMs: 200 }), mount({ attrTimeoutMs: 3000 })] });
    expect(waits).toEqual([3000 + KERNEL_MARGIN_MS]);
  });

  it("nothing configured: no calls, no result", async () => {
    const { visibility } = await run({});
    expect(visibility).toBeUndefined();
    expect(calls).toEqual([]);
  });
});

describe("notifyPublished: failures are warnings, never errors, and never show credentials", () => {
  const failing = async (settings: Partial<NotifySettings>, message: RegExp) => {
    const { visibility, warnings, waits } = await run(settings);
    expect(visibility?.visible).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(message);
    expect(warnings[0]).toMatch(/The publish itself succeeded/);
    expect(JSON.stringify({ visibility, warnings })).not.toContain(PASSWORD);
    return { visibility, waits };
  };

  it("unreachable", async () => {
    const { waits, visibility } = await failing(
      { mounts: [mount({ url: closed, display: closed })] },
      /mount at http:\/\/127\.0\.0\.1:\d+ was not refreshed: cannot connect \(ECONNREFUSED\)/,
    );
    expect(waits).toEqual([]);
    expect(formatVisibility(visibility!)).toMatch(/NOT refreshed: cannot connect.*\n {2}not confirmed visible/);
  });

  it("a port fetch refuses to connect to", async () => {
    await failing(
      { mounts: [mount({ url: "http://127.0.0.1:9", display: "http://127.0.0.1:9" })] },
      /fetch refuses this port .*"bad ports".*use another port/,
    );
  });

  it("wrong credentials (401)", async () => {
    reply = () => ({ status: 401, body: "Unauthorized" });
    await failing(
      { mounts: [mount()] },
      /rejected the credentials \(HTTP 401\).*WSPUB_MOUNT_RC_USER\/WSPUB_MOUNT_RC_PASS/,
    );
  });

  it("an rc without authentication (rclone >= 1.74 refuses vfs/* calls)", async () => {
    reply = (path) => ({
      status: 403,
      body: {
        error: `authentication must be set up on the rc server to use "${path.slice(4)}" or the --rc-no-auth flag must be in use`,
        status: 403,
      },
    });
    await failing(
      { mounts: [mount()] },
      /no authentication, and rclone >= 1\.74 refuses vfs\/forget.*--rc-user and --rc-pass/,
    );
  });

  it("not an rc (404)", async () => {
    reply = () => ({ status: 404, body: { error: "couldn't find method", status: 404 } });
    await failing({ mounts: [mount()] }, /vfs\/forget not found \(HTTP 404\)/);
  });

  it("the mount does not have the directory: wrong bucket or root", async () => {
    reply = (path, body) =>
      path.endsWith("/vfs/refresh")
        ? { status: 200, body: { result: { [String(body["dir"])]: "file does not exist" } } }
        : rcOk(path, body);
    await failing(
      { mounts: [mount()] },
      /the mount has no directory "sites\/myapp": check that it mounts the target's bucket.*"root"/,
    );
  });

  it("a workspace outside the mount's root: no call at all", async () => {
    const { visibility } = await failing({ mounts: [mount({ root: "other" })] }, /not under the mount's root "other"/);
    expect(calls).toEqual([]);
    expect(visibility?.mounts[0]?.dir).toBeNull();
  });

  it("the second refresh fails (the mount went away meanwhile): not visible", async () => {
    let refreshes = 0;
    reply = (path, body) =>
      path.endsWith("/vfs/refresh") && ++refreshes === 2
        ? { status: 500, body: { error: "boom", status: 500 } }
        : rcOk(path, body);
    const { visibility } = await failing({ mounts: [mount()] }, /rclone answered vfs\/refresh with HTTP 500: boom/);
    expect(visibility?.mounts[0]).toMatchObject({ ok: false, dir: "sites/myapp" });
  });

  it("one of two mounts fails: the other is still refreshed and waited for, but the publish is not reported visible", async () => {
    const { waits } = await failing(
      { mounts: [mount(), mount({ url: closed, display: closed })] },
      /127\.0\.0\.1:\d+ was not refreshed/,
    );
    expect(waits).toEqual([1000 + KERNEL_MARGIN_MS]);
  });

  it("a webhook that answers 500", async () => {
    reply = (path, body) => (path === "/hook" ? { status: 500, body: "boom" } : rcOk(path, body));
    const { visibility, warnings } = await run({ webhook: hook() });
    expect(visibility).toMatchObject({
      visible: false,
      mounts: [],
      webhook: { ok: false, status: 500, error: "HTTP 500 Internal Server Error" },
    });
    expect(warnings).toEqual([
      expect.stringMatching(
        /the webhook .*\/hook was not notified \(HTTP 500 Internal Server Error\)\. The publish itself succeeded\./,
      ),
    ]);
  });
});

describe("notifying an atomic publish", () => {
  it("re-reads the slot before the flip (its ancestors marked stale, the slot recursively)", async () => {
    const events: PublishEvent[] = [];
    const settings = { mounts: [mount()], webhook: undefined, warnings: [] };
    await refreshSlot(layout.slot("b"), settings, { event: (e) => events.push(e) });
    expect(events).toEqual([]);
    expect(calls.map((c) => [c.path, c.body])).toEqual([
      [
        "/rc/vfs/forget",
        {
          file1: "sites",
          file2: "sites/.wspub-slots",
          file3: "sites/.wspub-slots/myapp",
          file4: "sites/.wspub-slots/myapp/b",
        },
      ],
      ["/rc/vfs/refresh", { dir: "sites/.wspub-slots/myapp/b", recursive: "true" }],
    ]);
  });

  it("after the flip refreshes the link's directory alone, twice around the attribute timeout", async () => {
    const visibility = await notifyPublished({
      result,
      layout,
      atomic: true,
      settings: { mounts: [mount()], webhook: undefined, warnings: [] },
      reporter: { event: () => undefined },
      wait: async (ms) => {
        calls.push({ path: "(wait)", body: ms, authorization: undefined, at: Date.now() });
      },
    });
    expect(calls.map((c) => [c.path, c.body])).toEqual([
      ["/rc/vfs/forget", { file1: "sites" }],
      ["/rc/vfs/refresh", { dir: "sites" }],
      ["(wait)", 1000 + KERNEL_MARGIN_MS],
      ["/rc/vfs/forget", { file1: "sites" }],
      ["/rc/vfs/refresh", { dir: "sites" }],
    ]);
    expect(visibility).toMatchObject({ visible: true, mounts: [{ dir: "sites", ok: true }] });
  });

  it("a mount of the link's own directory is refreshed at its root (rclone refuses dir: '')", async () => {
    await notifyPublished({
      result,
      layout,
      atomic: true,
      settings: { mounts: [mount({ root: "sites" })], webhook: undefined, warnings: [] },
      reporter: { event: () => undefined },
      wait: async () => undefined,
    });
    expect(calls.map((c) => [c.path, c.body])).toEqual([
      ["/rc/vfs/refresh", {}],
      ["/rc/vfs/refresh", {}],
    ]);
  });
});

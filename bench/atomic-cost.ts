// `node --experimental-strip-types bench/atomic-cost.ts [--commits 10] [--files 1000] [--changes 20]`:
// what --atomic costs per publish on a linear history (issue 13), against in place, side by side
// on one SeaweedFS: every commit changes `--changes` files that no commit before it changed, so
// an atomic publish applies two commits' changes to its slot (its worst case; alternating trees,
// as bench/torn-view.ts publishes, are its best). wspub talks to the server through the counting
// proxy (bench/proxy.ts): requests and sequential round trips per publish (medians), objects
// written, and the bytes stored at the end. No mount: cost only. Needs `npm run build`.

import { parseArgs } from "node:util";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { tempRepo } from "../test/harness/repo.ts";
import { cleanEnv, createBucket, type S3Server, s3Client, startSeaweed } from "../test/harness/seaweed.ts";
import { spawnCollect } from "../test/harness/spawn.ts";
import { BIN } from "./mount-bench.ts";
import { startProxy } from "./proxy.ts";
import { median } from "./stats.ts";
import { markdownTable } from "./table.ts";

const { values } = parseArgs({
  options: {
    commits: { type: "string", default: "10" },
    files: { type: "string", default: "1000" },
    changes: { type: "string", default: "20" },
  },
  strict: true,
});
const COMMITS = Number(values.commits);
const FILES = Number(values.files);
const CHANGES = Number(values.changes);
if (![COMMITS, FILES, CHANGES].every((n) => Number.isInteger(n) && n >= 1) || COMMITS * CHANGES > FILES) {
  console.error("--commits, --files and --changes want positive integers, with commits x changes at most files");
  process.exit(2);
}

async function run(server: S3Server, atomic: boolean): Promise<string[]> {
  const bucket = atomic ? "cost-atomic" : "cost-in-place";
  await createBucket(server, bucket);
  const proxy = await startProxy(server.endpoint);
  const repo = tempRepo("wspub-atomic-cost-");
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < FILES; i++)
      files[`src/d${i % 20}/f${i}.txt`] = `file ${i}\n${"x".repeat(200 + (i % 13) * 40)}\n`;
    repo.write(files);
    const commits = [repo.commit("base")];
    for (let c = 0; c < COMMITS; c++) {
      const changed: Record<string, string> = {};
      for (let i = c * CHANGES; i < (c + 1) * CHANGES; i++)
        changed[`src/d${i % 20}/f${i}.txt`] = `changed by ${c} at ${i}\n`;
      repo.write(changed);
      commits.push(repo.commit(`change ${c}`));
    }
    const env = cleanEnv({
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      XDG_DATA_HOME: `${repo.dir}-xdg`,
    });
    const args = ["push", "--target", `s3://${bucket}`, "--endpoint", proxy.endpoint, "--json"];
    const costs: { requests: number; rounds: number; puts: number; objects: number }[] = [];
    for (const [k, ref] of commits.entries()) {
      proxy.take();
      const r = await spawnCollect(
        process.execPath,
        [BIN, ...args, atomic ? "--atomic" : "--no-atomic", "--ref", ref],
        {
          cwd: repo.dir,
          env,
        },
      );
      if (r.code !== 0) throw new Error(`publish ${k} failed: ${r.stderr}`);
      const c = proxy.take();
      const out = JSON.parse(r.stdout) as { uploaded: number; copied: number; deleted: number };
      if (k > 0)
        costs.push({
          requests: c.total,
          rounds: c.rounds,
          puts: c.byMethod["PUT"] ?? 0,
          objects: out.uploaded + out.copied + out.deleted,
        });
    }
    let files_ = 0;
    let total = 0;
    const client = s3Client(server);
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        total += o.Size ?? 0;
        if (!o.Key!.startsWith(".wspub/")) files_ += o.Size ?? 0;
      }
      token = page.NextContinuationToken;
    } while (token);
    client.destroy();
    const m = (f: (c: (typeof costs)[number]) => number) => String(median(costs.map(f)));
    return [
      atomic ? "atomic" : "in place",
      String(costs.length),
      m((c) => c.objects),
      m((c) => c.requests),
      m((c) => c.puts),
      m((c) => c.rounds),
      `${(files_ / 1024).toFixed(0)} KiB`,
      `${(total / 1024).toFixed(0)} KiB`,
    ];
  } finally {
    await proxy.close();
    repo.cleanup();
  }
}

const server = await startSeaweed();
try {
  const rows = [await run(server, false), await run(server, true)];
  const titles = [
    "mode",
    "publishes",
    "objects written + deleted",
    "requests",
    "PUTs",
    "round trips",
    "files stored",
    "bucket",
  ];
  const columns = titles.map((title, i) => ({ title, align: i === 0 ? ("left" as const) : ("right" as const) }));
  console.log(
    `A linear history: ${FILES} files, ${COMMITS} commits each changing ${CHANGES} new files (medians per publish, after the first)\n`,
  );
  console.log(markdownTable(columns, rows));
} finally {
  await server.stop();
}

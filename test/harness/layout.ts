import { Layout } from "../../src/store/layout.js";
import type { Target } from "../../src/store/target.js";

/** An S3 target for tests that build keys without a server (the layout only uses its prefix and URL). */
export function testTarget(prefix = ""): Target {
  const url = prefix === "" ? "s3://test-bucket" : `s3://test-bucket/${prefix}`;
  return { kind: "s3", bucket: "test-bucket", prefix, url, endpoint: "http://127.0.0.1:9", region: "us-east-1" };
}

/** The layout of workspace `name` at testTarget(prefix). */
export function layoutOf(name: string, prefix = ""): Layout {
  return new Layout(testTarget(prefix), name);
}

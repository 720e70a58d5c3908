import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { createSecureContext } from "node:tls";
import { DirStore } from "./dir-store.js";
import type { ObjectStore } from "./port.js";
import type { Target } from "./target.js";
import { usageError } from "../errors.js";

/**
 * Opens the store a target names. S3 credentials come from the standard AWS chain, read lazily by
 * the SDK. The SDK is imported only here, on first use: it is most of wspub's start-up time, and
 * `--version`, `files`, `hooks` or a directory target never need it.
 */
export async function openStore(
  target: Target,
  options: { concurrency: number; env: NodeJS.ProcessEnv },
): Promise<ObjectStore> {
  if (target.kind === "dir") return new DirStore(target.root);
  const tls = target.endpoint === undefined || target.endpoint.startsWith("https:");
  const ca = tls ? loadCaBundle(options.env) : undefined;
  const { S3Store } = await import("./s3-store.js");
  return new S3Store({
    bucket: target.bucket,
    endpoint: target.endpoint,
    region: target.region,
    ca,
    concurrency: options.concurrency,
  });
}

/**
 * AWS_CA_BUNDLE, as the AWS CLI reads it. The JS SDK ignores this variable, so wspub loads it
 * itself, and fails with a clear message instead of a TLS error deep in a publish.
 */
export function loadCaBundle(env: NodeJS.ProcessEnv): string | undefined {
  const file = env["AWS_CA_BUNDLE"];
  if (!file) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (e) {
    throw usageError(
      `AWS_CA_BUNDLE=${file} cannot be loaded (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ` +
        `point it at a PEM file of CA certificates, or unset it`,
      e,
    );
  }
  try {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new Error("no PEM certificate found");
    // TLS would only fail at the first connection; parse every certificate now.
    for (const block of blocks) new X509Certificate(block);
    createSecureContext({ ca: pem });
  } catch (e) {
    throw usageError(
      `AWS_CA_BUNDLE=${file} is not a usable CA bundle (${(e as Error).message}): point it at a PEM file of CA ` +
        `certificates, or unset it`,
      e,
    );
  }
  return pem;
}

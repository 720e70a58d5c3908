// Vitest globalSetup for the integration and e2e projects: starts one SeaweedFS S3 server and
// provides its connection details to the tests as `inject("s3")`.
//
// Both projects list this file; when they run in the same vitest process they share one server
// (reference-counted on globalThis), which is stopped by the last teardown.

import type { TestProject } from "vitest/node";
import { startSeaweed, type S3Endpoint, type S3Server } from "./seaweed.js";

declare module "vitest" {
  export interface ProvidedContext {
    s3: S3Endpoint;
  }
}

interface Shared {
  server: Promise<S3Server>;
  users: number;
}
const KEY = Symbol.for("wspub.test.seaweed");
const registry = globalThis as unknown as { [KEY]?: Shared };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let shared = registry[KEY];
  if (!shared) {
    shared = { server: startSeaweed(), users: 0 };
    registry[KEY] = shared;
  }
  shared.users++;
  const mine = shared;
  let server: S3Server;
  try {
    server = await mine.server;
  } catch (err) {
    mine.users--;
    if (registry[KEY] === mine) delete registry[KEY];
    throw err;
  }
  project.provide("s3", {
    endpoint: server.endpoint,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  });
  return async () => {
    mine.users--;
    if (mine.users === 0) {
      if (registry[KEY] === mine) delete registry[KEY];
      await server.stop();
    }
  };
}

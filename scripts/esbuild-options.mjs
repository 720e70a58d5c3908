// What the Action bundle (bundle.mjs) and the CLI bundle (bundle-cli.mjs) share: one ESM file set
// for Node, minified with readable names, and a createRequire banner that gives the CommonJS
// parts of the bundle a `require` for Node's built-in modules.
export const sharedOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  minify: true,
  // Readable stack traces in "internal error" reports despite minifying.
  keepNames: true,
  legalComments: "eof",
  charset: "utf8",
  banner: {
    js: 'import { createRequire as __wspubCreateRequire } from "node:module"; const require = __wspubCreateRequire(import.meta.url);',
  },
  logLevel: "warning",
  // The ES module builds of the AWS SDK (its "module" entries) rather than its CommonJS ones:
  // esbuild can drop what wspub does not use only from ES modules (the S3 client's ~100
  // operations, with their schemas), which made loading the SDK cost ~65 ms of every command.
  mainFields: ["module", "main"],
  conditions: ["module"],
};

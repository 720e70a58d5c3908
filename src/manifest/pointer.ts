import { type Fields, parseRecord } from "./record.js";

/** `<prefix>/.wspub/<name>/live.json`: names the live commit and its manifest. */
export interface Pointer {
  version: 1;
  workspace: string;
  commit: string;
  /** Object key of the manifest, relative to the store root. */
  manifest: string;
  previous: string | null;
  publishedAt: string;
  publishedBy: string;
  files: number;
  bytes: number;
}

const POINTER_FIELDS: Fields = {
  version: { literal: 1 },
  workspace: "string",
  commit: "string",
  manifest: "string",
  previous: "string|null",
  publishedAt: "string",
  publishedBy: "string",
  files: "integer",
  bytes: "integer",
};

export function parsePointer(text: string): Pointer {
  return parseRecord<Pointer>(text, POINTER_FIELDS, "the pointer");
}

export function serializePointer(pointer: Pointer): string {
  return `${JSON.stringify(pointer, null, 2)}\n`;
}

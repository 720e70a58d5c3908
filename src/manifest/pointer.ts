import { z } from "zod";

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

const pointerSchema = z.object({
  version: z.literal(1),
  workspace: z.string(),
  commit: z.string(),
  manifest: z.string(),
  previous: z.string().nullable(),
  publishedAt: z.string(),
  publishedBy: z.string(),
  files: z.number().int(),
  bytes: z.number().int(),
});

export function parsePointer(text: string): Pointer {
  return pointerSchema.parse(JSON.parse(text)) as Pointer;
}

export function serializePointer(pointer: Pointer): string {
  return `${JSON.stringify(pointer, null, 2)}\n`;
}

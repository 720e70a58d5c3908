import type { Tool } from "./tool.ts";
import { wspub } from "./wspub.ts";

/** Every publisher the benchmark knows, by name (`--tools a,b`). */
export const TOOLS: Record<string, Tool> = { wspub };

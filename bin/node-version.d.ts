/** The message for a Node.js too old for wspub, or undefined when `version` (process.version) will do. */
export function nodeTooOld(version: string): string | undefined;

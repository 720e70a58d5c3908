// wspub runs on Node.js 22 or later: Node 20 is past its end of life, the AWS SDK prints a warning
// under it in every process and requires 22 from its 2027 releases, and the start-up restart
// (young-generation.js) needs 22.15. An older Node gets one line saying so, and exit 2.

/** The message for a Node.js too old for wspub, or undefined when `version` (process.version) will do. */
export function nodeTooOld(version) {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? 0);
  if (major >= 22) return undefined;
  return (
    `wspub: error: wspub needs Node.js 22 or later, and this is Node ${version}: install a current Node.js ` +
    "(https://nodejs.org), or use the Docker image or the GitHub Action, which bring their own."
  );
}

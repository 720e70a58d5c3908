/**
 * Crash points for the crash-safety tests: with WSPUB_CRASH_AT=<step> (or `upload:<k>`), the
 * process kills itself with SIGKILL at that step, as a power cut or `kill -9` would. Steps:
 * after-journal, upload:<k> (after k objects written), before-manifest, after-manifest,
 * after-pointer, during-deletes, before-journal-delete.
 */
export function crashPoint(env: NodeJS.ProcessEnv | undefined, step: string): void {
  if (env?.["WSPUB_CRASH_AT"] === step) process.kill(process.pid, "SIGKILL");
}

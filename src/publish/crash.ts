/**
 * Crash points for the crash-safety tests: with WSPUB_CRASH_AT=<step> (or `upload:<k>`), the
 * process kills itself with SIGKILL at that step, as a power cut or `kill -9` would. Steps, in
 * order: after-journal (the lock taken with the journal in it), upload:<k> (after k objects
 * written), before-manifest, after-manifest, after-pointer (the live commit moved), during-deletes,
 * before-journal-delete (the deletes done, the lock and journal not yet let go of). A small change
 * writes its objects and manifest together: there, before-manifest comes before the first upload.
 */
export function crashPoint(env: NodeJS.ProcessEnv | undefined, step: string): void {
  if (env?.["WSPUB_CRASH_AT"] === step) process.kill(process.pid, "SIGKILL");
}

/** What the library tells its caller while it works. Entry points turn these into output. */
export type PublishEvent =
  | {
      type: "plan";
      workspace: string;
      commit: string;
      previous: string | null;
      put: number;
      copy: number;
      delete: number;
      keep: number;
      bytes: number;
    }
  | { type: "progress"; done: number; total: number; bytes: number }
  | { type: "notice"; message: string }
  | { type: "warning"; message: string };

export interface Reporter {
  event(e: PublishEvent): void;
}

export const silentReporter: Reporter = { event: () => undefined };

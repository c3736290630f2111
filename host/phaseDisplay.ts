/**
 * How `npm run up` shows its phases: each with its start, end and elapsed time; on a terminal a
 * live status line (the running phase and its clock) under the streamed output, otherwise plain
 * lines that read well in a log file.
 */

/** How a phase ended. */
export type PhaseOutcome = "done" | "skipped" | "failed";

/** One finished phase, for the summary. */
export interface PhaseRecord {
  id: string;
  title: string;
  outcome: PhaseOutcome;
  /** Milliseconds since the epoch. */
  startedAt: number;
  endedAt: number;
  /** Why it was skipped or how it failed, or what it did, one line. */
  detail?: string;
}

/** The output side of the phases; the orchestrator never writes to the terminal itself. */
export interface PhaseDisplay {
  start(id: string, title: string): void;
  /** A line of output inside the running phase (streamed program output, a decision). */
  line(text: string): void;
  end(outcome: PhaseOutcome, detail?: string): void;
  /** A line outside any phase (the summary, the final error). */
  print(text: string): void;
  /** Every phase so far, in order. */
  readonly records: readonly PhaseRecord[];
  /** Whether a phase has started and not ended. */
  readonly running: boolean;
  /** Stops any live redraw; called once at the end. */
  close(): void;
}

/** `1h02m03s`, `4m05s`, `6s`. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m${String(s).padStart(2, "0")}s`;
  if (m > 0) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

/** `10:04:05Z` (UTC, the time of day). */
export function formatClock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)}Z`;
}

export interface DisplayOptions {
  /** Where text goes, e.g. `process.stdout.write`. */
  write: (text: string) => void;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** A terminal: redraw a live status line every second. */
  live: boolean;
}

/** Shared bookkeeping; the two renderings differ only in how they write. */
export function createPhaseDisplay(options: DisplayOptions): PhaseDisplay {
  const records: PhaseRecord[] = [];
  let current: { id: string; title: string; startedAt: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let statusShown = false;
  const { write, now, live } = options;

  const status = () => (current ? `▶ ${current.title}  ${formatElapsed(now() - current.startedAt)}` : "");
  const clearStatus = () => {
    if (live && statusShown) write("\r\x1b[2K");
    statusShown = false;
  };
  const drawStatus = () => {
    if (!live || !current) return;
    write(`\r\x1b[2K${status()}`);
    statusShown = true;
  };
  const out = (text: string) => {
    clearStatus();
    write(`${text}\n`);
    drawStatus();
  };

  return {
    records,
    get running() {
      return current !== undefined;
    },
    start(id, title) {
      const startedAt = now();
      current = { id, title, startedAt };
      clearStatus();
      write(`== ${title} (started ${formatClock(startedAt)})\n`);
      drawStatus();
      if (live && !timer) {
        timer = setInterval(drawStatus, 1000);
        timer.unref();
      }
    },
    line(text) {
      out(live ? `   ${text}` : `   | ${text}`);
    },
    end(outcome, detail) {
      if (!current) return;
      const endedAt = now();
      records.push({ ...current, outcome, startedAt: current.startedAt, endedAt, detail });
      const took = formatElapsed(endedAt - current.startedAt);
      const title = current.title;
      current = undefined;
      clearStatus();
      write(`== ${title}: ${outcome} at ${formatClock(endedAt)} after ${took}${detail ? ` (${detail})` : ""}\n`);
    },
    print(text) {
      out(text);
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      clearStatus();
    },
  };
}

/** The phase table of the summary: one line per phase with its outcome and time. */
export function formatPhaseTable(records: readonly PhaseRecord[]): string[] {
  const width = Math.max(...records.map((r) => r.title.length), 5);
  return records.map(
    (r) => `  ${r.title.padEnd(width)}  ${r.outcome.padEnd(7)}  ${formatElapsed(r.endedAt - r.startedAt).padStart(9)}${r.detail ? `  ${r.detail}` : ""}`,
  );
}

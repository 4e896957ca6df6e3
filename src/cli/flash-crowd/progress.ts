/**
 * Progress on stderr: on a terminal a bar redrawn four times a second; elsewhere (a pipe, CI
 * logs) one plain line every few seconds, so a log file does not fill with carriage returns.
 */
import type { LoadProgress } from "./load.js";

export interface Progress {
  note(line: string): void;
  update(snapshot: LoadProgress): void;
  finish(): void;
}

const LINE_EVERY_MS = 2_000;
const n = (value: number) => Math.round(value).toLocaleString("en-US");

export function progressOn(stream: NodeJS.WriteStream, mode: "auto" | "bar" | "lines" | "off"): Progress {
  const resolved = mode === "auto" ? (stream.isTTY ? "bar" : "lines") : mode;
  let last: { at: number; answered: number } | undefined;
  let rate = 0;
  let lineAt = 0;
  let drawn = false;
  const describe = (s: LoadProgress) => {
    const now = performance.now();
    if (last !== undefined && now - last.at >= 200) {
      rate = ((s.answered - last.answered) * 1000) / (now - last.at);
      last = { at: now, answered: s.answered };
    } else if (last === undefined) last = { at: now, answered: s.answered };
    const shed = s.answered === 0 ? 0 : (100 * s.shed) / s.answered;
    const parts = [
      `${n(s.decided)}/${n(s.users)} decided`,
      `${n(rate)} answers/s`,
      `p99 ${s.claimP99Ms.toFixed(1)} ms`,
      `shed ${shed.toFixed(1)} %`,
    ];
    if (s.transferP99Ms > 0) parts.push(`transfers p99 ${s.transferP99Ms.toFixed(1)} ms`);
    if (s.inFlightRetries > 0) parts.push(`${n(s.inFlightRetries)} waiting to retry`);
    return s.elapsedMs < 0 ? `starting in ${(-s.elapsedMs / 1000).toFixed(1)} s` : parts.join("  ");
  };
  return {
    note(line) {
      if (resolved === "off") return;
      if (drawn) stream.write("\r\x1b[2K");
      drawn = false;
      stream.write(`${line}\n`);
    },
    update(snapshot) {
      if (resolved === "off") return;
      const text = describe(snapshot);
      const seconds = `${(snapshot.elapsedMs / 1000).toFixed(1)} s`;
      if (resolved === "lines") {
        const now = performance.now();
        if (now - lineAt < LINE_EVERY_MS) return;
        lineAt = now;
        stream.write(`flash-crowd ${seconds}  ${text}\n`);
        return;
      }
      const width = 24;
      const filled = Math.round((width * snapshot.decided) / Math.max(1, snapshot.users));
      const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
      const line = `${bar} ${seconds}  ${text}`;
      const columns = stream.columns || 120;
      stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, columns - 1))}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}

import { session } from "./api.js";

/** One event from GET /v1/me/events; `resync` also comes after a reconnect (events may have been missed). */
export interface LiveEvent {
  readonly event: string;
  // biome-ignore lint/suspicious/noExplicitAny: the server's JSON, read by each page for its own fields
  readonly data: any;
}

type Listener = (event: LiveEvent) => void;

const listeners = new Set<Listener>();
let stop: AbortController | null = null;

/**
 * Calls `listener` with each live event while subscribed; one stream serves every page. The
 * stream is read with fetch (EventSource cannot send the Authorization header) and reopened
 * after the server's `retry:` or Retry-After when it ends.
 */
export function onLive(listener: Listener): () => void {
  listeners.add(listener);
  if (stop === null && session.token !== null) {
    stop = new AbortController();
    void run(stop.signal);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      stop?.abort();
      stop = null;
    }
  };
}

function dispatch(event: LiveEvent): void {
  for (const listener of listeners) listener(event);
}

async function run(signal: AbortSignal): Promise<void> {
  let retryMs = 3_000;
  let opened = 0;
  while (!signal.aborted && session.token !== null) {
    let waitMs = retryMs;
    try {
      const response = await fetch("/v1/me/events", {
        headers: { authorization: `Bearer ${session.token}` },
        cache: "no-store",
        signal,
      });
      if (response.status === 200 && response.body !== null) {
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        for (;;) {
          const read = await reader.read();
          if (read.done) break;
          text += read.value;
          let end = text.indexOf("\n\n");
          while (end >= 0) {
            const frame = parse(text.slice(0, end));
            text = text.slice(end + 2);
            end = text.indexOf("\n\n");
            if (frame.retry !== undefined) retryMs = frame.retry;
            if (frame.event === "hello") {
              // A reopened stream may have missed events: pages reload what they show.
              if (opened++ > 0) dispatch({ event: "resync", data: {} });
            } else if (frame.event !== undefined) {
              dispatch({ event: frame.event, data: frame.data === "" ? {} : JSON.parse(frame.data) });
            }
          }
        }
        waitMs = retryMs;
      } else if (response.status === 401) {
        return; // the token is no longer good: the pages' own calls will say so
      } else {
        const after = Number(response.headers.get("retry-after"));
        waitMs = Number.isFinite(after) && after > 0 ? after * 1_000 : retryMs * 2;
      }
    } catch {
      if (signal.aborted) return;
    }
    // A little jitter, so a server's restart is not met by every page in the same instant.
    await new Promise((resolve) => setTimeout(resolve, waitMs * (1 + Math.random() / 2)));
  }
}

function parse(block: string): { event?: string; data: string; retry?: number } {
  let event: string | undefined;
  let retry: number | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    else if (line.startsWith("retry:")) retry = Number(line.slice(6)) || undefined;
  }
  return { ...(event === undefined ? {} : { event }), data: data.join("\n"), ...(retry === undefined ? {} : { retry }) };
}

/** A server-sent event as a client reads it; comments (heartbeats) have event "comment". */
export interface ReadEvent {
  readonly event: string;
  readonly data: string;
}

export interface OpenStream {
  readonly status: number;
  readonly headers: Headers;
  /** The body of a refusal (the stream did not open). */
  readonly body: string;
  /** The next event (heartbeats included), waiting at most `ms`. */
  next(ms?: number): Promise<ReadEvent>;
  /** The next event of this name, skipping others, waiting at most `ms` in all. */
  nextOf(event: string, ms?: number): Promise<ReadEvent>;
  close(): void;
}

/** Opens GET `url` with a bearer token and reads it as an event stream over a real socket. */
export async function openEventStream(url: string, token: string | undefined): Promise<OpenStream> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  if (response.status !== 200 || response.body === null) {
    return {
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      next: () => Promise.reject(new Error("no stream")),
      nextOf: () => Promise.reject(new Error("no stream")),
      close: () => abort.abort(),
    };
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const ready: ReadEvent[] = [];
  let text = "";
  const next = async (ms = 10_000): Promise<ReadEvent> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const event = ready.shift();
      if (event !== undefined) return event;
      let end = text.indexOf("\n\n");
      while (end >= 0) {
        ready.push(parse(text.slice(0, end)));
        text = text.slice(end + 2);
        end = text.indexOf("\n\n");
      }
      if (ready.length > 0) continue;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${ms} ms`);
      let timer: NodeJS.Timeout | undefined;
      const read = await Promise.race([
        reader.read(),
        new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), left);
        }),
      ]);
      clearTimeout(timer);
      if (read === "timeout") throw new Error(`no event within ${ms} ms`);
      if (read.done) throw new Error("the stream ended");
      text += read.value;
    }
  };
  return {
    status: 200,
    headers: response.headers,
    body: "",
    next,
    async nextOf(event, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const got = await next(Math.max(1, deadline - Date.now()));
        if (got.event === event) return got;
      }
    },
    close() {
      abort.abort();
      reader.cancel().catch(() => {});
    },
  };
}

function parse(block: string): ReadEvent {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) event = event === "message" ? "comment" : event;
    else if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  return { event, data: data.join("\n") };
}

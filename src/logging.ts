import pino from "pino";

/** "json" (default): one JSON object a line; "pretty": readable lines for development (pino-pretty). */
export type LogFormat = "json" | "pretty";

/**
 * A pino logger writing JSON lines, or readable lines through pino-pretty (a development
 * dependency, loaded only when asked for). Every process of a deployment (a single server, a
 * supervisor, a writer, an edge) logs through this, so one `--log-format` holds for all of them.
 */
export async function loggerFor(config: { logLevel: string; logFormat?: LogFormat | undefined }): Promise<pino.Logger> {
  const options = { level: config.logLevel, redact: ["req.headers.authorization", "headers.authorization"] };
  if (config.logFormat !== "pretty") return pino(options);
  let pretty: (options: object) => NodeJS.WritableStream;
  try {
    pretty = (await import("pino-pretty")).default as unknown as typeof pretty;
  } catch {
    throw new Error("--log-format pretty needs pino-pretty, a development dependency: npm install pino-pretty");
  }
  // In this thread and synchronous, so every line is out before the process exits.
  return pino(options, pretty({ sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "hostname" }));
}

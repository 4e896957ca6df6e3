import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";

export function opsRoutes(app: FastifyInstance, context: AppContext): void {
  const hide = { hide: true } as const;
  app.get(
    "/healthz",
    { config: { auth: "none" }, schema: { tags: ["operations"], summary: "The process is alive" } },
    async () => ({
      status: "ok",
    }),
  );

  app.get(
    "/readyz",
    { config: { auth: "none" }, schema: { tags: ["operations"], summary: "The store answers and the engine runs" } },
    async (_request, reply) => {
      try {
        await context.store.ping();
        if (!context.engine.ready) throw new Error("the engine does not serve");
        return { status: "ready", queueDepth: context.engine.queueDepth };
      } catch {
        return reply.code(503).send({ error: { code: "BUSY", message: "not ready" } });
      }
    },
  );

  app.get("/metrics", { config: { auth: "none" }, schema: { ...hide } }, async (_request, reply) => {
    const text = await context.metrics.registry.metrics();
    return reply.type(context.metrics.registry.contentType).send(text);
  });

  app.get("/openapi.json", { config: { auth: "none" }, schema: { ...hide } }, async () => app.swagger());
}

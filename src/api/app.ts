import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from "fastify";
import type { Tracing } from "../tracing/otel.js";
import { claimFastPath, fastPathRoute } from "./claim-fast-path.js";
import type { AppContext, Auth } from "./context.js";
import { ApiError, fromFastifyError, sendError } from "./errors.js";
import { takeFrontPeer, trustBehindFront } from "./front-peer.js";
import { answerClientError, guardServer } from "./http-guard.js";
import { requireIdempotencyKey } from "./idempotency.js";
import { registerLimits } from "./login-limits.js";
import { operationIdOf } from "./operation-ids.js";
import { priorityOf } from "./priority.js";
import { idOfTagged, REQUEST_ID_HEADER, tagRequest } from "./request-id.js";
import { adminRoutes } from "./routes/admin.js";
import { authRoutes } from "./routes/auth.js";
import { campaignRoutes } from "./routes/campaigns.js";
import { coverRoutes } from "./routes/covers.js";
import { eventRoutes, eventSchema } from "./routes/events.js";
import { evidenceRoutes } from "./routes/evidence.js";
import { identityRoutes } from "./routes/identity.js";
import { listRoutes } from "./routes/lists.js";
import { liveRoutes } from "./routes/live.js";
import { opsRoutes } from "./routes/ops.js";
import { redPacketRoutes } from "./routes/red-packets.js";
import { specialDayRoutes } from "./routes/special-days.js";
import { transferRoutes } from "./routes/transfers.js";
import { walletRoutes } from "./routes/wallet.js";
import { webRoutes } from "./routes/web.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { errorSchema, groupSchema, packetSchema, transferSchema } from "./schemas.js";
import { bearerOf } from "./tokens.js";
import { registerWebSecurity } from "./web-security.js";
import { serveWebApp } from "./web-static.js";

/** Bodies are small JSON objects; anything bigger is refused before it is read. */
export const BODY_BYTES_MAX = 16 * 1024;
/** Idle keep-alive connections are kept this long (Fastify's own default). */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;

export interface AppOptions {
  /** A pino logger; without one the app logs nothing (tests). */
  readonly logger?: FastifyBaseLogger;
  readonly version?: string;
  /** A span per request (src/tracing/otel.ts); without it requests are not wrapped at all. */
  readonly tracing?: Pick<Tracing, "wrap" | "routed">;
  /** Proxies whose X-Forwarded-For names the client (addresses or CIDRs, comma-separated); none by default. */
  readonly trustProxy?: string | undefined;
  /** Browser origins allowed to call the API (CORS); none by default. */
  readonly corsOrigins?: readonly string[];
  /**
   * The app listens only on a private socket behind the Bun front (src/edge/bun/front.ts): the
   * client's address is the one the front names (src/api/front-peer.ts), and plain claims were
   * already offered to the front's own fast path.
   */
  readonly behindFront?: boolean;
}

/** OpenAPI security requirements by route setting: none, one scheme, or either. */
const SECURITY_OF: Record<Auth, readonly Record<string, string[]>[]> = {
  none: [],
  user: [{ user: [] }],
  admin: [{ admin: [] }],
  "user-or-admin": [{ user: [] }, { admin: [] }],
};

/** A route's URL (`/v1/transfers/:id/accept`, `/docs/*`) as a pattern over request paths. */
function pathPattern(url: string): RegExp {
  const escaped = url.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/:[^/]+/g, "[^/]+").replace(/\*/g, ".*")}$`);
}

/** Builds the HTTP shell around a started engine; the caller listens and closes. */
export async function buildApp(context: AppContext, options: AppOptions = {}): Promise<FastifyInstance> {
  let closing = false;
  const behindFront = options.behindFront === true;
  const fastClaim = behindFront ? () => false : claimFastPath(context, () => closing);
  // Requests refused before any route (src/api/http-guard.ts) are counted under one route label.
  const observeRefusal = (status: number) => context.metrics.observeRequest("-", "unrouted", status, 0);
  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    // Plain campaign claims skip the framework (src/api/claim-fast-path.ts); all else is Fastify's.
    serverFactory: (handler) => {
      const listener = (request: IncomingMessage, response: ServerResponse) => {
        if (behindFront) takeFrontPeer(request);
        tagRequest(request, response);
        if (refusedBeforeRouting(request, response)) return;
        if (!fastClaim(request, response, handler)) handler(request, response);
      };
      const { tracing } = options;
      const server = createServer(
        { requireHostHeader: false },
        tracing === undefined
          ? listener
          : tracing.wrap((request, response) => {
              // Fastify names the routes it takes (the onRequest hook below); the fast path's is named here.
              const route = fastPathRoute(request.url);
              if (route !== undefined) tracing.routed(request, route);
              listener(request, response);
            }),
      );
      const refusedBeforeRouting = guardServer(server, observeRefusal);
      // Fastify sets these on servers it makes itself; a crowd that connects before 13:14 must not be dropped at 5 s.
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
      // A client may send its request and close its sending side: in HTTP/1.1 that does not
      // mean it wants no answer. node:http's default aborts what it has not answered yet, so a
      // claim waiting at the crowd gate or for its batch would be decided and never told. With
      // this switch (long-standing in node:http, not in its types) it answers, then closes.
      (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
      return server;
    },
    // What node:http cannot parse is answered in our shape too, and the connection closed.
    clientErrorHandler: (error, socket) => answerClientError(error, socket, observeRefusal),
    bodyLimit: BODY_BYTES_MAX,
    // request.ip is the socket's address unless the socket is a configured proxy.
    trustProxy: behindFront ? trustBehindFront(options.trustProxy) : (options.trustProxy ?? false),
    // One log line per request costs more than the request at flash-crowd rates; metrics count them instead.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "requestId" }),
    // While closing we answer 503 SHUTTING_DOWN in our own shape (the onRequest hook below).
    return503OnClosing: false,
    routerOptions: { maxParamLength: 64 },
    // Every log line of a request carries its id, the one its answer names in X-Request-Id.
    genReqId: idOfTagged,
    // Errors the router raises before any route runs (bad URL encoding, over-long ids) get our shape too.
    frameworkErrors: (error, _request, reply) => {
      const mapped = fromFastifyError(error);
      void sendError(reply, mapped.code === "INTERNAL" ? new ApiError("BAD_REQUEST", "the URL is not valid") : mapped);
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
  });
  app.decorateRequest("userId", "");
  const routes: { readonly method: string; readonly path: RegExp }[] = [];
  app.addHook("onRoute", (route) => {
    // CORS preflights (OPTIONS *) answer any path: counting them would turn every 404 into a 405.
    if (route.url === "*" && route.method === "OPTIONS") return;
    for (const method of [route.method].flat()) routes.push({ method, path: pathPattern(route.url) });
    // The OpenAPI document says which token each route takes, from the same setting that enforces it.
    const auth = route.config?.auth ?? "none";
    const scope = route.config?.scope;
    if ((auth === "admin" || auth === "user-or-admin") !== (scope !== undefined)) {
      throw new Error(`${route.url}: an operator's route names the scope it needs, and only such a route`);
    }
    const methods = [route.method].flat();
    route.schema = {
      ...route.schema,
      ...(methods.length === 1 && methods[0] !== "HEAD"
        ? { operationId: operationIdOf(methods[0] as string, route.url, route.schema?.operationId) }
        : {}),
      security: SECURITY_OF[auth],
      ...(scope === undefined ? {} : { "x-required-scope": scope }),
    };
  });
  /** The methods some route takes at `url`: a known path with another method is 405, not 404. */
  const methodsAt = (url: string) => {
    const path = url.split("?", 1)[0] as string;
    return [...new Set(routes.filter((route) => route.path.test(path)).map((route) => route.method))];
  };
  // Bodies are JSON only: a text/plain body is 415, not a string that fails a schema.
  app.removeContentTypeParser("text/plain");
  app.addSchema(errorSchema);
  app.addSchema(transferSchema);
  app.addSchema(packetSchema);
  app.addSchema(groupSchema);
  app.addSchema(eventSchema);

  await app.register(swagger, {
    openapi: {
      info: {
        title: "hongbao",
        version: options.version ?? "0.1.0",
        description:
          "Red packets and transfers. Amounts are integer fen; times are ISO 8601 with offset; errors are " +
          '`{"error": {"code", "message"}}`. Every POST that moves money requires an `Idempotency-Key` header (400 `IDEMPOTENCY_KEY_REQUIRED` without it); a grab or a claim takes one optionally. A replayed answer carries `Idempotent-Replayed: true`.',
      },
      components: {
        securitySchemes: {
          user: { type: "http", scheme: "bearer", description: "a user's token (POST /v1/auth/token)" },
          admin: {
            type: "http",
            scheme: "bearer",
            description:
              "the admin token from configuration (every scope), or a service key (`hk_…`) holding the scope the operation names in `x-required-scope`",
          },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string | undefined) ?? `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs", staticCSP: true });
  await registerLimits(app, context.codes.clock, context.sharedLimits);
  await registerWebSecurity(app, options.corsOrigins ?? []);
  // Injected requests skip the listener that names requests: their answers carry the id too.
  app.addHook("onRequest", (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });

  const { tracing } = options;
  if (tracing !== undefined) {
    app.addHook("onRequest", (request, _reply, done) => {
      tracing.routed(request.raw, request.routeOptions.url ?? "unmatched");
      done();
    });
  }
  app.addHook("preClose", async () => {
    closing = true;
    // Open event streams would hold the close until its deadline: end them, clients reconnect.
    context.live.close();
  });
  app.addHook("onRequest", async (request, reply) => {
    if (closing) {
      // Tell keep-alive clients to go elsewhere: this connection closes after the answer.
      void reply.header("connection", "close");
      throw new ApiError("SHUTTING_DOWN", "the service is shutting down; retry shortly");
    }
    const priority = priorityOf(request.method, request.routeOptions.url);
    if (priority === "read" && context.gate.overloaded && !sentByOperator(request.headers.authorization)) {
      // Reads come last: while claims wait at the gate, a user's read would only lengthen the turn.
      context.metrics.countAdmission("read", "shed");
      throw new ApiError("BUSY", "reads wait while a crowd is being served; retry after the time given");
    }
    if (priority !== undefined && priority !== "campaign") context.metrics.countAdmission(priority, "admitted");
    const { auth = "none", scope } = request.routeOptions.config;
    if (auth === "none") return;
    if (context.identityCurrent?.() === false) {
      throw new ApiError("BUSY", "the server is catching up with the writer's keys; retry shortly");
    }
    const token = bearerOf(request.headers.authorization);
    const operator = context.identity.operatorOf(token); // a bad or revoked service key is 401 here
    if (operator !== undefined) {
      if (auth === "user") throw new ApiError("FORBIDDEN", "an operator's key does not act for a user");
      if (scope !== undefined && !operator.has(scope)) {
        throw new ApiError("FORBIDDEN", `this route needs a key with the scope ${scope}`, { scope });
      }
      return;
    }
    if (auth === "admin") {
      await context.tokens.verifyUser(token); // a valid user token is forbidden here, anything else unauthorized
      throw new ApiError("FORBIDDEN", "this route needs the admin token or a service key");
    }
    const userId = await context.tokens.verifyUser(token);
    if (!(await context.engine.hasUser(userId))) throw new ApiError("INVALID_TOKEN", "the token's user does not exist");
    request.userId = userId;
  });

  // After authentication (a stranger learns nothing of the route), before the body is read or the engine asked.
  app.addHook("onRequest", async (request) => requireIdempotencyKey(request));

  /** The operator's reads (the admin token, a service key) are never shed: they are how a crowd is watched. */
  const sentByOperator = (authorization: string | undefined) => {
    if (authorization?.startsWith("Bearer ") !== true) return false;
    try {
      return context.identity.operatorOf(authorization.slice(7)) !== undefined;
    } catch {
      return false;
    }
  };

  app.addHook("onResponse", async (request, reply) => {
    context.metrics.observeRequest(
      request.method,
      request.routeOptions.url ?? "unmatched",
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = fromFastifyError(error);
    // Only our own faults are worth a log line; a 503 under load or while draining is expected.
    if (mapped.code === "INTERNAL") request.log.error({ err: error }, "request failed");
    return sendError(reply, mapped);
  });
  app.setNotFoundHandler((request, reply) => {
    const allowed = methodsAt(request.url);
    if (allowed.length === 0) return sendError(reply, new ApiError("NOT_FOUND", "no such route"));
    void reply.header("allow", allowed.join(", "));
    return sendError(reply, new ApiError("METHOD_NOT_ALLOWED", `${request.method} is not allowed here`));
  });

  authRoutes(app, context);
  adminRoutes(app, context);
  identityRoutes(app, context);
  coverRoutes(app, context);
  walletRoutes(app, context);
  transferRoutes(app, context);
  redPacketRoutes(app, context);
  evidenceRoutes(app, context);
  specialDayRoutes(app, context);
  campaignRoutes(app, context);
  listRoutes(app, context);
  eventRoutes(app, context);
  webhookRoutes(app, context);
  opsRoutes(app, context);
  webRoutes(app, context);
  liveRoutes(app, context);
  await serveWebApp(app);
  return app;
}

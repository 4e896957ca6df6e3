import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/** The built web app, seen from dist/src/api/. */
export const WEB_ROOT = fileURLToPath(new URL("../../web/", import.meta.url));

const YEAR_S = 31_536_000;

/**
 * Serves the web app at `/`. Vite names every asset by its content hash, so assets are
 * cached for a year as immutable; index.html names the current assets, so it is revalidated
 * on every load. The page may load nothing from any other host (Content-Security-Policy).
 */
export async function serveWebApp(app: FastifyInstance, root = WEB_ROOT): Promise<boolean> {
  if (!existsSync(`${root}index.html`)) return false;
  await app.register(fastifyStatic, {
    root,
    prefix: "/",
    wildcard: false,
    index: ["index.html"],
    cacheControl: false,
    setHeaders(response, path) {
      if (path.includes("/assets/")) {
        response.setHeader("cache-control", `public, max-age=${YEAR_S}, immutable`);
      } else {
        response.setHeader("cache-control", "no-cache");
        response.setHeader(
          "content-security-policy",
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
        );
      }
    },
  });
  return true;
}

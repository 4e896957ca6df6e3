import type { FastifyInstance } from "fastify";
import { formatInstant } from "../../domain/time.js";
import type { AppContext } from "../context.js";
import { COVER_BYTES_MAX, COVER_ID_PATTERN, type CoverView } from "../covers.js";
import { ApiError } from "../errors.js";
import { errorResponses } from "../schemas.js";

/** base64 of COVER_BYTES_MAX bytes, padded. */
const IMAGE_LENGTH_MAX = Math.ceil(COVER_BYTES_MAX / 3) * 4;
/** A year, and never revalidated: a cover's URL names bytes that never change. */
const CACHE_FOREVER = "public, max-age=31536000, immutable";

const coverSchema = {
  type: "object",
  required: ["id", "name", "mediaType", "width", "height", "etag", "url", "createdAt"],
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    mediaType: { type: "string", enum: ["image/png", "image/jpeg", "image/webp"] },
    width: { type: "integer" },
    height: { type: "integer" },
    etag: { type: "string" },
    url: { type: "string", description: "where the image is served, with cache headers" },
    createdAt: { type: "string" },
  },
} as const;

const view = (cover: CoverView) => ({ ...cover, createdAt: formatInstant(cover.createdAt) });

/** The operator's cover catalogue (封面): upload, list, and the images themselves. */
export function coverRoutes(app: FastifyInstance, context: AppContext): void {
  app.post<{ Body: { name: string; image: string } }>(
    "/v1/admin/covers",
    {
      config: { auth: "admin", scope: "covers:write" },
      bodyLimit: IMAGE_LENGTH_MAX + 4096,
      schema: {
        operationId: "addCover",
        tags: ["covers"],
        summary: "Publish a cover: a PNG, JPEG or WebP image, checked by decoding it",
        description:
          `The image is base64 in JSON, at most ${COVER_BYTES_MAX} bytes decoded. Its format and size in pixels ` +
          "come from decoding it, not from any name or declared type; 422 COVER_INVALID says what is wrong " +
          "(not an image, another format, an animation, a side out of bounds, truncated).",
        body: {
          type: "object",
          additionalProperties: false,
          required: ["name", "image"],
          properties: {
            name: { type: "string", minLength: 1, maxLength: 50 },
            image: { type: "string", minLength: 1, maxLength: IMAGE_LENGTH_MAX, pattern: "^[A-Za-z0-9+/]*={0,2}$" },
          },
        },
        response: { 201: coverSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const bytes = Buffer.from(request.body.image, "base64");
      return reply.code(201).send(view(await context.covers.add(request.body.name, bytes)));
    },
  );

  app.get(
    "/v1/covers",
    {
      config: { auth: "none" },
      schema: {
        operationId: "listCovers",
        tags: ["covers"],
        summary: "The catalogue of covers a sender may pick from",
        response: {
          200: { type: "object", required: ["covers"], properties: { covers: { type: "array", items: coverSchema } } },
          ...errorResponses,
        },
      },
    },
    async () => ({ covers: context.covers.list().map(view) }),
  );

  app.get<{ Params: { id: string } }>(
    "/v1/covers/:id",
    {
      config: { auth: "none" },
      schema: {
        operationId: "getCoverImage",
        tags: ["covers"],
        summary: "A cover's image, cacheable forever (ETag, Cache-Control: immutable); 304 to If-None-Match",
        params: { type: "object", required: ["id"], properties: { id: { type: "string", pattern: COVER_ID_PATTERN } } },
        produces: ["image/png", "image/jpeg", "image/webp"],
        response: {
          200: { type: "string", format: "binary" },
          304: { type: "null", description: "the client's copy is current" },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const cover = context.covers.get(request.params.id);
      if (cover === undefined) throw new ApiError("COVER_NOT_FOUND", "no cover with this id");
      void reply
        .header("etag", cover.etag)
        .header("cache-control", CACHE_FOREVER)
        // Pages of other origins show covers in <img>: the image itself is public.
        .header("cross-origin-resource-policy", "cross-origin");
      const given = request.headers["if-none-match"];
      if (given?.split(",").some((tag) => tag.trim() === cover.etag || tag.trim() === "*")) {
        return reply.code(304).send();
      }
      const image = await context.covers.image(cover.id);
      if (image === undefined) throw new ApiError("COVER_NOT_FOUND", "no cover with this id");
      return reply.type(cover.mediaType).send(image);
    },
  );
}

import { createHash, randomBytes } from "node:crypto";
import type { Metadata } from "sharp";
import type { Clock } from "../engine/clock.js";
import type { CoverRow, CoverTables } from "../store/cover-tables.js";

/** What the catalogue needs of its tables: the store's own, or a writer's through the wire. */
export type CoverTablesPort = Pick<CoverTables, "list" | "add" | "image">;

import { ApiError } from "./errors.js";

/** An uploaded image is at most this many bytes once decoded from base64. */
export const COVER_BYTES_MAX = 512 * 1024;
export const COVER_SIDE_MIN = 100;
export const COVER_SIDE_MAX = 2048;
export const COVERS_MAX = 500;
const MEDIA_TYPE = { png: "image/png", jpeg: "image/jpeg", webp: "image/webp" } as const;
type Format = keyof typeof MEDIA_TYPE;
export const COVER_ID_PATTERN = "^cov_[0-9a-f]{20}$";

export interface CoverView extends CoverRow {
  readonly url: string;
}

const refuse = (reason: string, details: Record<string, unknown> = {}) =>
  new ApiError("COVER_INVALID", reason, { ...details });

/**
 * What the bytes are, found by decoding them with sharp (libvips), never from a name or a
 * declared type: the format must be PNG, JPEG or WebP, one still frame, each side within
 * bounds, and the whole image must decode (a truncated or corrupt file is refused). The
 * pixel bound is given to the decoder too, so an image whose header claims a huge size is
 * refused before its pixels are allocated.
 */
export async function inspectCover(bytes: Buffer): Promise<{ format: Format; width: number; height: number }> {
  if (bytes.length === 0) throw refuse("the image is empty");
  if (bytes.length > COVER_BYTES_MAX) {
    throw refuse(`an image is at most ${COVER_BYTES_MAX} bytes`, { bytes: bytes.length, limit: COVER_BYTES_MAX });
  }
  // Loaded at the first upload: libvips costs a second at start, and most starts never decode an image.
  const { default: sharp } = await import("sharp");
  let metadata: Metadata;
  try {
    const image = sharp(bytes, { limitInputPixels: COVER_SIDE_MAX * COVER_SIDE_MAX, failOn: "warning" });
    metadata = await image.metadata();
    if (!(metadata.format in MEDIA_TYPE)) {
      throw refuse("a cover is a PNG, JPEG or WebP image", { format: metadata.format });
    }
    // The full decode: the header alone does not prove the rest of the file is an image.
    await image.raw().toBuffer();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw refuse("the image could not be decoded as PNG, JPEG or WebP");
  }
  const { width, height, pages } = metadata;
  if (pages !== undefined && pages > 1) throw refuse("a cover is one still image, not an animation");
  const sides = { width, height, min: COVER_SIDE_MIN, max: COVER_SIDE_MAX };
  if (width < COVER_SIDE_MIN || height < COVER_SIDE_MIN || width > COVER_SIDE_MAX || height > COVER_SIDE_MAX) {
    throw refuse(`each side of a cover is ${COVER_SIDE_MIN} to ${COVER_SIDE_MAX} pixels`, sides);
  }
  return { format: metadata.format as Format, width, height };
}

/** The operator's catalogue of covers (封面): its list in memory, the images in the store. */
export class Covers {
  readonly #tables: CoverTablesPort;
  readonly #clock: Clock;
  readonly #byId = new Map<string, CoverRow>();

  private constructor(tables: CoverTablesPort, clock: Clock) {
    this.#tables = tables;
    this.#clock = clock;
  }

  static async load(tables: CoverTablesPort, clock: Clock): Promise<Covers> {
    const covers = new Covers(tables, clock);
    for (const row of await tables.list()) covers.#byId.set(row.id, row);
    return covers;
  }

  /** A cover another process added (an edge hears its writer's). */
  apply(row: CoverRow): void {
    this.#byId.set(row.id, row);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  list(): CoverView[] {
    return [...this.#byId.values()].map(viewOf);
  }

  get(id: string): CoverRow | undefined {
    return this.#byId.get(id);
  }

  async add(name: string, bytes: Buffer): Promise<CoverView> {
    if (this.#byId.size >= COVERS_MAX) throw new ApiError("TOO_MANY_COVERS", `at most ${COVERS_MAX} covers`);
    const { format, width, height } = await inspectCover(bytes);
    const row: CoverRow = {
      id: `cov_${randomBytes(10).toString("hex")}`,
      name,
      mediaType: MEDIA_TYPE[format],
      width,
      height,
      etag: `"sha256-${createHash("sha256").update(bytes).digest("hex")}"`,
      createdAt: this.#clock.now(),
    };
    await this.#tables.add(row, bytes);
    this.#byId.set(row.id, row);
    return viewOf(row);
  }

  image(id: string): Promise<Buffer | undefined> {
    return this.#tables.image(id);
  }
}

function viewOf(row: CoverRow): CoverView {
  return { ...row, url: `/v1/covers/${row.id}` };
}

/** The cover tables of a store that has them (both stores do). */
export function coverTablesOf(store: object): CoverTables {
  const covers = (store as { covers?: () => CoverTables }).covers;
  if (typeof covers !== "function") throw new Error("this store keeps no cover catalogue");
  return covers.call(store);
}

/** The tables, telling `changed` of each cover once it is written and before the write is answered. */
export function announcingCovers(tables: CoverTablesPort, changed: (row: CoverRow) => Promise<void>): CoverTablesPort {
  return {
    list: () => tables.list(),
    add: async (row, image) => {
      await tables.add(row, image);
      await changed(row);
    },
    image: (id) => tables.image(id),
  };
}

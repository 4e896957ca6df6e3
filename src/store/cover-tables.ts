import type { RunSql } from "./identity-tables.js";

export interface CoverRow {
  readonly id: string;
  readonly name: string;
  readonly mediaType: string;
  readonly width: number;
  readonly height: number;
  /** `"sha256-<hex>"` of the image's bytes, quoted as an HTTP entity tag. */
  readonly etag: string;
  readonly createdAt: number;
}

/** The covers table (migration 10): the catalogue, with each image's bytes read only when served. */
export class CoverTables {
  readonly #run: RunSql;

  constructor(run: RunSql) {
    this.#run = run;
  }

  async list(): Promise<CoverRow[]> {
    const rows = await this.#run(
      "SELECT id, name, media_type, width, height, etag, created_at FROM covers ORDER BY created_at, id",
      [],
    );
    return rows.map((row) => ({
      id: String(row.id),
      name: String(row.name),
      mediaType: String(row.media_type),
      width: Number(row.width),
      height: Number(row.height),
      etag: String(row.etag),
      createdAt: Number(row.created_at),
    }));
  }

  async add(row: CoverRow, image: Buffer): Promise<void> {
    await this.#run(
      "INSERT INTO covers (id, name, media_type, width, height, image, etag, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      [row.id, row.name, row.mediaType, row.width, row.height, image, row.etag, row.createdAt],
    );
  }

  async image(id: string): Promise<Buffer | undefined> {
    const rows = await this.#run("SELECT image FROM covers WHERE id = ?", [id]);
    const image = rows[0]?.image;
    return image === undefined ? undefined : Buffer.from(image as Uint8Array);
  }
}

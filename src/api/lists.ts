import type { Page, PageRequest } from "../engine/store-port.js";
import { ApiError } from "./errors.js";

/** Items in a page when the caller names no limit, and at most. */
export const LIST_LIMIT_DEFAULT = 20;
export const LIST_LIMIT_MAX = 100;

export interface PageQuery {
  limit?: string;
  startingAfter?: string;
  endingBefore?: string;
}

/** The querystring of every list: a bounded limit and at most one cursor, an id of the list's kind. */
export function pageQuerystring(cursor: { readonly pattern: string; readonly maxLength: number }, extra: object = {}) {
  return {
    type: "object",
    additionalProperties: false,
    properties: {
      limit: {
        type: "string",
        pattern: "^[1-9][0-9]{0,2}$",
        description: `items in the page, 1 to ${LIST_LIMIT_MAX} (default ${LIST_LIMIT_DEFAULT})`,
      },
      startingAfter: { ...cursor, description: "the id of the last item of the page before: the next, older, page" },
      endingBefore: { ...cursor, description: "the id of the first item of a page: the page of newer items before it" },
      ...extra,
    },
  } as const;
}

export function pageRequestOf(query: PageQuery): PageRequest {
  const limit = query.limit === undefined ? LIST_LIMIT_DEFAULT : Number(query.limit);
  if (limit > LIST_LIMIT_MAX) throw new ApiError("VALIDATION_FAILED", `limit is at most ${LIST_LIMIT_MAX}`);
  if (query.startingAfter !== undefined && query.endingBefore !== undefined) {
    throw new ApiError("VALIDATION_FAILED", "give startingAfter or endingBefore, not both");
  }
  return { limit, startingAfter: query.startingAfter ?? null, endingBefore: query.endingBefore ?? null };
}

/** A list answer: `data` newest first, `hasMore` in the direction the page was read. */
export function listView<T, V>(page: Page<T>, view: (item: T) => V) {
  return { object: "list", data: page.items.map(view), hasMore: page.hasMore };
}

export function listSchema(item: object) {
  return {
    type: "object",
    required: ["object", "data", "hasMore"],
    properties: {
      object: { type: "string", enum: ["list"] },
      data: { type: "array", items: item },
      hasMore: { type: "boolean" },
    },
  } as const;
}

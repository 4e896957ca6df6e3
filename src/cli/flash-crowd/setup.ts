/**
 * Setup through the public admin API: the crowd's users (10 000 per bulk call), the campaign,
 * and funded senders for the background transfers.
 *
 * A million users are made by a hundred POST /v1/admin/users/bulk calls, not a million
 * POST /v1/admin/users: each call is one durable batch on the server (all or none) and answers
 * every new user's id and token. Nothing about authentication is weakened for this: the bulk
 * route needs the admin token like every /v1/admin route, and the tokens it answers are the
 * same signed (HS256) user tokens a login answers, checked by the same code on every claim; the
 * crowd cannot act for anyone it was not given a token for. Tokens are kept packed in one
 * Buffer per call (about 180 MB for a million), not as a million strings or objects.
 */
import { randomUUID } from "node:crypto";
import { createHongbaoClient } from "../../client/index.js";
import { formatInstant } from "../../domain/time.js";
import type { AmountRule } from "./options.js";

/** Users per bulk call: the server's BULK_USERS_MAX. */
export const BULK_CHUNK = 10_000;
const BULK_CALLS_IN_FLIGHT = 4;
const DEPOSITS_IN_FLIGHT = 16;
const PHONE_RETRIES = 5;

export interface ApiAnswer {
  readonly status: number;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the server, checked where used
  readonly json: any;
}

const API_TIMEOUT_MS = 120_000;

/**
 * One admin or user call; setup and checks are a few hundred calls, so fetch is fine here.
 * A POST that moves money needs an `idempotencyKey`, made once per operation so that a
 * retry of the same operation would send the same one.
 */
export async function apiCall(
  base: string,
  method: "GET" | "POST",
  path: string,
  token: string,
  body?: unknown,
  idempotencyKey?: string,
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (idempotencyKey !== undefined) headers["idempotency-key"] = idempotencyKey;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(API_TIMEOUT_MS),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

function expect(answer: ApiAnswer, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what}: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
}

/** Every user's token, packed: one Buffer and one offset table per bulk call. */
export class TokenStore {
  readonly #chunks: Buffer[] = [];
  readonly #offsets: Uint32Array[] = [];
  #bytes = 0;

  get bytes(): number {
    return this.#bytes;
  }

  set(chunk: number, tokens: readonly string[]): void {
    const offsets = new Uint32Array(tokens.length + 1);
    let length = 0;
    for (let i = 0; i < tokens.length; i++) {
      offsets[i] = length;
      length += Buffer.byteLength(tokens[i] as string, "latin1");
    }
    offsets[tokens.length] = length;
    const buffer = Buffer.allocUnsafeSlow(length);
    for (let i = 0; i < tokens.length; i++) buffer.write(tokens[i] as string, offsets[i] as number, "latin1");
    this.#chunks[chunk] = buffer;
    this.#offsets[chunk] = offsets;
    this.#bytes += length;
  }

  /** Copies user `user`'s token into `target` at `at`; returns the offset after it. */
  write(user: number, target: Buffer, at: number): number {
    const chunk = Math.floor(user / BULK_CHUNK);
    const index = user - chunk * BULK_CHUNK;
    const offsets = this.#offsets[chunk] as Uint32Array;
    const start = offsets[index] as number;
    const end = offsets[index + 1] as number;
    return at + (this.#chunks[chunk] as Buffer).copy(target, at, start, end);
  }

  token(user: number): string {
    const chunk = Math.floor(user / BULK_CHUNK);
    const index = user - chunk * BULK_CHUNK;
    const offsets = this.#offsets[chunk] as Uint32Array;
    return (this.#chunks[chunk] as Buffer).toString("latin1", offsets[index], offsets[index + 1]);
  }
}

export interface CrowdUsers {
  readonly tokens: TokenStore;
  /** Ids of users 0 … idsKept-1 (the transfer senders). */
  readonly ids: string[];
  readonly bulkCalls: number;
}

/**
 * "+86" and 11 digits: a 4-digit run prefix and a 7-digit index, so runs against one server do
 * not collide; a chunk that still meets a taken phone (PHONE_TAKEN) is retried with a new prefix.
 */
function phoneOf(prefix: number, index: number): string {
  return `+86${String(prefix).padStart(4, "0")}${String(index).padStart(7, "0")}`;
}

export async function createCrowd(
  base: string,
  adminToken: string,
  count: number,
  idsKept: number,
  random: () => number,
  progress: (created: number) => void,
): Promise<CrowdUsers> {
  const tokens = new TokenStore();
  const ids: string[] = new Array(idsKept);
  const chunks = Math.ceil(count / BULK_CHUNK);
  let next = 0;
  let created = 0;
  let bulkCalls = 0;
  const prefix = Math.floor(random() * 10_000);
  const worker = async () => {
    while (next < chunks) {
      const chunk = next++;
      const first = chunk * BULK_CHUNK;
      const size = Math.min(BULK_CHUNK, count - first);
      let answer: ApiAnswer | undefined;
      for (let attempt = 0; attempt <= PHONE_RETRIES; attempt++) {
        const chunkPrefix = attempt === 0 ? prefix : Math.floor(random() * 10_000);
        const users = Array.from({ length: size }, (_, i) => ({
          phone: phoneOf(chunkPrefix, first + i),
          name: "crowd",
        }));
        bulkCalls++;
        answer = await apiCall(base, "POST", "/v1/admin/users/bulk", adminToken, { users });
        if (answer.status !== 409) break;
      }
      expect(answer as ApiAnswer, 201, "creating users (POST /v1/admin/users/bulk)");
      const answered = (answer as ApiAnswer).json.users as { userId: string; token: string }[];
      if (answered.length !== size) throw new Error(`bulk call answered ${answered.length} users, not ${size}`);
      tokens.set(
        chunk,
        answered.map((user) => user.token),
      );
      for (let i = 0; i < size && first + i < idsKept; i++) ids[first + i] = (answered[i] as { userId: string }).userId;
      created += size;
      progress(created);
    }
  };
  await Promise.all(Array.from({ length: Math.min(BULK_CALLS_IN_FLIGHT, chunks) }, worker));
  return { tokens, ids, bulkCalls };
}

/** What a typed call answered, for the error message of a setup step that failed. */
function failure(response: Response, error: unknown): string {
  return `HTTP ${response.status} ${JSON.stringify(error).slice(0, 300)}`;
}

export async function fundSenders(base: string, adminToken: string, ids: readonly string[], amount: number) {
  const runId = randomUUID();
  const admin = createHongbaoClient({ baseUrl: base, token: adminToken });
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const userId = ids[next++] as string;
      const { response, error } = await admin.POST("/v1/admin/deposits", {
        params: { header: { "idempotency-key": `fund-${runId}-${userId}` } },
        body: { userId, amount },
        signal: AbortSignal.timeout(API_TIMEOUT_MS),
      });
      if (response.status !== 201) {
        throw new Error(`funding a transfer sender (POST /v1/admin/deposits): ${failure(response, error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DEPOSITS_IN_FLIGHT, ids.length) }, worker));
}

export interface CampaignCreated {
  readonly id: string;
  readonly budget: number;
}

export async function createCampaign(
  base: string,
  adminToken: string,
  request: { name: string; budget: number; amount: AmountRule; startsAt: number; endsAt: number },
): Promise<CampaignCreated> {
  const admin = createHongbaoClient({ baseUrl: base, token: adminToken });
  const { data, error, response } = await admin.POST("/v1/admin/campaigns", {
    params: { header: { "idempotency-key": randomUUID() } },
    body: {
      name: request.name,
      budget: request.budget,
      amount: request.amount,
      startsAt: formatInstant(request.startsAt),
      endsAt: formatInstant(request.endsAt),
      perUserLimit: 1,
    },
    signal: AbortSignal.timeout(API_TIMEOUT_MS),
  });
  if (data === undefined)
    throw new Error(`creating the campaign (POST /v1/admin/campaigns): ${failure(response, error)}`);
  return { id: data.id as string, budget: data.budget as number };
}

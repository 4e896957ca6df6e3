/** A failed answer in the service's error shape, with Retry-After when it gave one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterS: number | null,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export type Json = Record<string, unknown>;

const TOKEN_KEY = "hongbao.token";
const USER_KEY = "hongbao.userId";
const ADMIN_KEY = "hongbao.adminToken";

export const session = {
  get token(): string | null {
    return localStorage.getItem(TOKEN_KEY);
  },
  get userId(): string | null {
    return localStorage.getItem(USER_KEY);
  },
  set(token: string, userId: string): void {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(USER_KEY, userId);
  },
  clear(): void {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  },
  get adminToken(): string | null {
    return sessionStorage.getItem(ADMIN_KEY);
  },
  setAdmin(token: string): void {
    sessionStorage.setItem(ADMIN_KEY, token);
  },
};

export interface CallOptions {
  readonly body?: unknown;
  /** Money-moving POSTs: the same key on a retry can never move money twice. */
  readonly idempotencyKey?: string;
  readonly admin?: boolean;
  readonly headers?: Record<string, string>;
}

export async function call<T = Json>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.admin ? session.adminToken : session.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
  const response = await fetch(path, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  const body: unknown = text === "" ? {} : JSON.parse(text);
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } }).error ?? {};
    const retry = response.headers.get("retry-after");
    throw new ApiError(
      response.status,
      error.code ?? `HTTP_${response.status}`,
      error.message ?? response.statusText,
      retry === null ? null : Number(retry),
      body,
    );
  }
  return body as T;
}

/** A fresh key for one money-moving intent; reuse it when retrying that same intent. */
export function newKey(): string {
  return crypto.randomUUID();
}

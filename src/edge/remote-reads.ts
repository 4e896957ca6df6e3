import type { CodeFor, LoginCodeBook } from "../api/login-codes.js";
import type { Clock } from "../engine/clock.js";
import type { LedgerStore } from "../engine/store-port.js";
import type { WriterClient } from "./writer-client.js";

const orUndefined = <T>(value: unknown): T | undefined =>
  value === null || value === undefined ? undefined : (value as T);

/**
 * The store as an edge reads it: through its writer (docs/decisions/0036). An edge loads no
 * database driver, so it runs where better-sqlite3 does not (Bun), and a PostgreSQL store sees
 * one pool, the writer's. Writing is the writer's alone: load and commit refuse.
 */
export function remoteStore(writer: WriterClient): LedgerStore {
  const read =
    <T>(op: string) =>
    async (...args: unknown[]): Promise<T> =>
      (await writer.call(`store.${op}`, args)) as T;
  const maybe =
    <T>(op: string) =>
    async (...args: unknown[]): Promise<T | undefined> =>
      orUndefined<T>(await writer.call(`store.${op}`, args));
  const notHere = (what: string) => () => Promise.reject(new Error(`an edge does not ${what}; its writer does`));
  return {
    load: notHere("load the ledger"),
    commit: notHere("commit"),
    user: maybe("user"),
    userByPhone: maybe("userByPhone"),
    balance: read("balance"),
    transfer: maybe("transfer"),
    statement: (account, before, limit) => read<never>("statement")(account, before, limit),
    postingsOf: read("postingsOf"),
    group: maybe("group"),
    campaign: maybe("campaign"),
    packet: maybe("packet"),
    idempotency: notHere("keep idempotency keys"),
    balanceSum: read("balanceSum"),
    ping: read("ping"),
    close: async () => {},
  } as LedgerStore;
}

/** Login codes as an edge issues and checks them: at the writer, shared by every edge. */
export function remoteCodes(writer: WriterClient, clock: Clock): LoginCodeBook {
  return {
    clock,
    request: async (phone, issueFor) =>
      (await writer.call("codes.request", [phone, issueFor ?? null])) as { expiresInSeconds: number },
    verify: async (phone, code) => (await writer.call("codes.verify", [phone, code])) as CodeFor,
  };
}

import type { CodeFor, LoginCodeBook } from "../api/login-codes.js";
import type { Clock } from "../engine/clock.js";
import type { LedgerStore } from "../engine/store-port.js";
import type { CoverRow } from "../store/cover-tables.js";
import type { IdentityState, IdentityStore } from "../store/identity-port.js";
import { COVER_CALLS, EVENT_CALLS, IDENTITY_CALLS, LIST_READS, orUndefined, STORE_READS } from "./forwarded.js";
import type { WriterClient } from "./writer-client.js";

/** Each name of `names` as a method that calls `${prefix}${name}` at the writer. */
function forwarding(writer: WriterClient, prefix: string, names: readonly string[]): Record<string, unknown> {
  const methods: Record<string, unknown> = {};
  for (const name of names) {
    methods[name] = async (...args: unknown[]) => orUndefined(await writer.call(`${prefix}${name}`, args));
  }
  return methods;
}

/**
 * The store as an edge reads it: through its writer (docs/decisions/0036). An edge loads no
 * database driver, so it runs where better-sqlite3 does not (Bun), and a PostgreSQL store sees
 * one pool, the writer's. Writing is the writer's alone: load and commit refuse.
 */
export function remoteStore(writer: WriterClient): LedgerStore {
  const notHere = (what: string) => () => Promise.reject(new Error(`an edge does not ${what}; its writer does`));
  return {
    ...forwarding(writer, "store.", STORE_READS),
    lists: forwarding(writer, "store.lists.", LIST_READS),
    events: forwarding(writer, "store.events.", EVENT_CALLS),
    load: notHere("load the ledger"),
    commit: notHere("commit"),
    idempotency: notHere("keep idempotency keys"),
    packetsSentSince: notHere("count today's packets"),
    close: async () => {},
  } as unknown as LedgerStore;
}

/** The identity tables through the writer, which writes them and tells every edge before answering. */
export function remoteIdentityStore(writer: WriterClient): IdentityStore {
  return {
    ...forwarding(writer, "identity.", IDENTITY_CALLS),
    // From the writer's memory, in parts: the token generations alone may be over a frame's bound.
    loadIdentity: async () => {
      const first = (await writer.call("identity.state", [])) as IdentityState & { more: string | null };
      const tokenGenerations = [...first.tokenGenerations];
      if (first.more !== null) {
        for (let done = false; !done; ) {
          const part = (await writer.call("identity.statePart", [first.more, tokenGenerations.length])) as {
            tokenGenerations: IdentityState["tokenGenerations"];
            done: boolean;
          };
          tokenGenerations.push(...part.tokenGenerations);
          done = part.done;
        }
      }
      return { serviceKeys: first.serviceKeys, signingKeys: first.signingKeys, tokenGenerations };
    },
  } as unknown as IdentityStore;
}

/** The cover catalogue's tables through the writer. */
export function remoteCoverTables(writer: WriterClient): {
  list(): Promise<CoverRow[]>;
  add(row: CoverRow, image: Buffer): Promise<void>;
  image(id: string): Promise<Buffer | undefined>;
} {
  const tables = forwarding(writer, "covers.", COVER_CALLS) as {
    list(): Promise<CoverRow[]>;
    add(row: CoverRow, image: Buffer): Promise<void>;
    image(id: string): Promise<Uint8Array | undefined>;
  };
  return {
    list: tables.list,
    add: tables.add,
    // msgpack hands bytes back as a Uint8Array view; the routes send a Buffer.
    image: async (id) => {
      const bytes = await tables.image(id);
      return bytes === undefined ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  };
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

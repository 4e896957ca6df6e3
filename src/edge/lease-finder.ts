/**
 * Finds the writer through the writer lease in PostgreSQL: the row names the holder's epoch and
 * where it takes edges, both written by the statement that took the lease. Loaded only by an
 * edge started with --store; it brings the PostgreSQL client (pure JavaScript), nothing else
 * of the store.
 */
import { LeaseReader } from "../store/postgres/writer-lease.js";
import { parseHostPort, type WriterFinder } from "./writer-client.js";

export function leaseFinder(url: string, shard = 0): WriterFinder {
  const reader = new LeaseReader(url, shard);
  return {
    async find() {
      const row = await reader.read();
      const address = row?.wire === null || row === undefined ? undefined : parseHostPort(row.wire);
      return row === undefined || address === undefined ? undefined : { address, epoch: row.epoch };
    },
    close: () => reader.close(),
  };
}

import { existsSync } from "node:fs";
import type { Command } from "commander";
import { isPostgresUrl } from "../../server.js";
import { restoreBackup } from "./restore.js";
import { BackupRefused, takeBackup } from "./take.js";

type Print = (line: string) => void;

/** `hongbao backup` and `hongbao restore`: each answers a refusal with one line and exit code 1. */
export function registerBackupCommands(
  program: Command,
  print: Print = console.log,
  printError: Print = console.error,
): void {
  program
    .command("backup")
    .description(
      "copy a live database (SQLite's online backup, while it serves), its keys and a checksummed manifest into a new folder",
    )
    .requiredOption("--to <dir>", "an absent or empty folder for the backup")
    .option("--db <path>", "the SQLite file (env HONGBAO_DB)", process.env.HONGBAO_DB ?? "./data/hongbao.db")
    .action(async (options: { to: string; db: string }) => {
      process.exitCode = await answer("backup", printError, async () => {
        refusePostgres(options.db);
        // A deployment on PostgreSQL has no SQLite file to copy: say what backs it up instead.
        if (!existsSync(options.db) && process.env.HONGBAO_STORE) refusePostgres(process.env.HONGBAO_STORE);
        const taken = await takeBackup({
          ...options,
          adminTokenFile: process.env.HONGBAO_ADMIN_TOKEN_FILE || undefined,
        });
        print(`backup of ${options.db} in ${taken.folder}`);
        print(
          `  taken at ${taken.manifest.takenAt} (everything acknowledged before it is in), schema version ${taken.manifest.schemaVersion}`,
        );
        for (const file of taken.manifest.files)
          print(`  ${file.name.padEnd(17)} ${String(file.bytes).padStart(12)} bytes  sha256 ${file.sha256}`);
        for (const name of taken.absent) print(`  ${name.padEnd(17)} not in the data folder: not backed up`);
      });
    });
  program
    .command("restore")
    .description("restore a backup into a new data folder, after checking every file's checksum and the ledger")
    .requiredOption("--from <dir>", "a folder written by `hongbao backup`")
    .requiredOption("--db <path>", "where the restored database goes; its folder must be absent or empty")
    .action(async (options: { from: string; db: string }) => {
      process.exitCode = await answer("restore", printError, async () => {
        refusePostgres(options.db);
        const restored = await restoreBackup(options);
        const { ledger } = restored;
        print(`restored the backup taken at ${restored.manifest.takenAt} into ${restored.folder}`);
        print(
          `  ${restored.manifest.files.length} files match their checksums; schema version ${ledger.schemaVersion}`,
        );
        print(
          `  ledger checked: ${ledger.users} users, ${ledger.accounts} accounts, ${ledger.postings} postings; every posting balances, no account below zero but funding, balances sum to 0`,
        );
      });
    });
}

/**
 * PostgreSQL backs itself up: its keys are rows of the database, so pg_dump (or pg_basebackup
 * and the standby, docs/replication.md) takes them with the ledger in one snapshot.
 */
function refusePostgres(db: string): void {
  if (isPostgresUrl(db))
    throw new BackupRefused(
      "backup and restore copy a SQLite store; back a PostgreSQL store up with pg_dump --format=custom (its keys are rows of the database) and keep the admin token file beside it: README, Operations",
    );
}

/** Runs a command; a refusal or a failure of the file system is one line on stderr, never a stack trace. */
async function answer(command: string, printError: Print, run: () => Promise<void>): Promise<number> {
  try {
    await run();
    return 0;
  } catch (error) {
    const message =
      error instanceof BackupRefused ? error.message : `failed: ${(error as Error).message ?? String(error)}`;
    printError(`hongbao ${command}: ${message}`);
    return 1;
  }
}

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import { createService } from "../../src/server.js";

/** The typed client's types, generated from the OpenAPI document; committed, and checked current by a test. */
export const CLIENT_TYPES_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "src",
  "client",
  "openapi.ts",
);

const HEADER = `/**
 * The HTTP contract as TypeScript types, generated from the OpenAPI document by
 * openapi-typescript: do not edit. Regenerate with \`npm run generate:client\`; a test fails
 * while this file differs from what the server documents.
 */
`;

/** The document a default server serves (no test clock), as the client sees it. */
export async function openapiDocument(): Promise<object> {
  const service = await createService({
    db: ":memory:",
    adminToken: "client-types-admin-token",
    tokenSecret: "client-types-token-secret-of-32-bytes-or-more",
    testClock: false,
    logLevel: "silent",
  });
  try {
    await service.app.ready();
    return service.app.swagger() as object;
  } finally {
    await service.close();
  }
}

export async function generateClientTypes(): Promise<string> {
  const ast = await openapiTS((await openapiDocument()) as Parameters<typeof openapiTS>[0], {
    alphabetize: true,
    enumValues: true,
  });
  return HEADER + astToString(ast);
}

/** `node dist/test/support/client-types.js --write` regenerates the committed file. */
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--write")) {
  const text = await generateClientTypes();
  const before = (() => {
    try {
      return readFileSync(CLIENT_TYPES_FILE, "utf8");
    } catch {
      return "";
    }
  })();
  writeFileSync(CLIENT_TYPES_FILE, text);
  process.stdout.write(`${CLIENT_TYPES_FILE}: ${before === text ? "unchanged" : "written"}\n`);
}

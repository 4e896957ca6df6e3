// Builds the web app only when its inputs changed since the build in dist/web: `npm start`
// runs this after `tsc -b`, and Vite has no incremental build of its own (a full build is
// about 10 s of a start on a busy machine). The inputs are named by content, not by time, so
// a checkout of older files or a deleted file counts as a change too. `npm run build:web` ends
// with `--stamp`, which records the inputs it built from (beside dist/web, not served).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const stamp = join(root, "dist", ".web-inputs-sha256");

/** Every file the web build reads: the app's sources and configuration, and the locked dependencies. */
function inputs() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name !== "build-if-stale.mjs") files.push(path);
    }
  };
  walk(join(root, "web"));
  files.push(join(root, "package-lock.json"));
  return files.sort();
}

function inputsHash() {
  const hash = createHash("sha256");
  for (const file of inputs()) hash.update(`${relative(root, file)}\0`).update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

const current = inputsHash();
if (process.argv[2] === "--stamp") {
  writeFileSync(stamp, current);
} else {
  const built = existsSync(join(root, "dist", "web", "index.html")) && existsSync(stamp) && readFileSync(stamp, "utf8");
  if (built === current) console.log("web app: current, not built again");
  else execFileSync("npm", ["run", "build:web", "--silent"], { cwd: root, stdio: "inherit" });
}

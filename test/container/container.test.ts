/**
 * The container: the Dockerfile is linted (dockerfile-utils validates every instruction and
 * flag as Docker parses them; dockerfilelint checks hadolint-style practices) and holds what
 * the image must be (multi-stage, production dependencies only, a non-root user, a
 * healthcheck, the data folder a volume). Where the suite runs there is no Docker daemon (and
 * no route to Docker Hub for the base image), so the image's steps are exercised by
 * scripts/runtime-folder.sh: the folder it makes is started the way the image starts, on
 * SQLite and then on PostgreSQL as compose.yaml runs it, the image's own HEALTHCHECK command
 * is run against it, and SIGTERM stops it with 0. Where a daemon answers, the image is built too.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import dockerfilelint from "dockerfilelint";
import { parse as parseYaml } from "yaml";
import { cleanup, sleep, tempDir } from "../process/support.js";
import { createDatabase, dropDatabase, SERVER_URL } from "../support/postgres.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const DOCKERFILE = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const SLOW = { timeout: 240_000 };

interface Stage {
  readonly name: string;
  readonly instructions: Instruction[];
}

function stages(): Stage[] {
  const result: Stage[] = [];
  for (const instruction of DockerfileParser.parse(DOCKERFILE).getInstructions()) {
    if (instruction.getKeyword() === "FROM") {
      const name = /\bAS\s+(\S+)/i.exec(instruction.getArgumentsContent() ?? "")?.[1] ?? String(result.length);
      result.push({ name, instructions: [] });
    }
    result.at(-1)?.instructions.push(instruction);
  }
  return result;
}

/** An instruction as written, flags and all, continuation lines joined. */
function text(instruction: Instruction): string {
  const { start, end } = instruction.getRange();
  return DOCKERFILE.split("\n")
    .slice(start.line, end.line + 1)
    .join(" ");
}

function only(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.getKeyword() === keyword);
}

/** An exec-form instruction's words: CMD ["node", …], or the command of HEALTHCHECK … CMD [ … ]. */
function execWords(instruction: Instruction): string[] {
  const content = (instruction.getArgumentsContent() ?? "").replace(/^CMD\s+/, "");
  const words = JSON.parse(content) as unknown;
  assert.ok(Array.isArray(words) && words.length > 0, `${instruction.getKeyword()} is in exec form: ${content}`);
  return words as string[];
}

interface ComposeService {
  build?: string;
  volumes?: string[];
  profiles?: string[];
  ports?: string[];
  stop_grace_period?: string;
  environment: Record<string, string>;
  depends_on?: unknown;
  healthcheck?: { test?: unknown };
}

function composeFile(): { hongbao: ComposeService; postgres: ComposeService; volumes: Record<string, unknown> } {
  const compose = parseYaml(readFileSync(join(ROOT, "compose.yaml"), "utf8")) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  };
  const { hongbao, postgres } = compose.services;
  assert.ok(hongbao !== undefined && postgres !== undefined, "services hongbao and postgres");
  return { hongbao, postgres, volumes: compose.volumes };
}

/**
 * The runtime folder started as the image starts it (its CMD, in its environment); `healthy`
 * runs the image's own HEALTHCHECK command until it passes, `stopsWithZero` sends SIGTERM.
 */
function startLikeTheImage(folder: string, env: Record<string, string | undefined>) {
  const runtime = stages().at(-1) as Stage;
  const [command, ...args] = execWords(only(runtime, "CMD")[0] as Instruction);
  const server = spawn(command === "node" ? process.execPath : (command as string), args, {
    cwd: folder,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  server.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  server.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
  const healthcheck = execWords(only(runtime, "HEALTHCHECK")[0] as Instruction);
  const probe = () =>
    promisify(execFile)(
      healthcheck[0] === "node" ? process.execPath : (healthcheck[0] as string),
      healthcheck.slice(1),
      {
        env,
      },
    ).then(
      () => true,
      () => false,
    );
  return {
    output: () => output,
    async healthy(): Promise<void> {
      const deadline = Date.now() + 60_000;
      while (!(await probe())) {
        assert.ok(Date.now() < deadline && server.exitCode === null, `the healthcheck passes within 60 s:\n${output}`);
        await sleep(200);
      }
    },
    async stopsWithZero(): Promise<void> {
      server.kill("SIGTERM");
      assert.equal(await exited, 0, `SIGTERM drains and exits 0:\n${output}`);
      assert.match(output, /"msg":"closed"/);
      assert.equal(await probe(), false, "the healthcheck fails once it is gone");
    },
    kill: () => server.kill("SIGKILL"),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the container", () => {
  after(cleanup);

  it("the Dockerfile passes both linters", () => {
    const problems = validate(DOCKERFILE).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    assert.deepEqual(problems, [], "dockerfile-utils");
    // dockerfilelint 1.8 predates HEALTHCHECK --start-period (Docker 17.05) and calls it an
    // invalid argument; dockerfile-utils above checks that flag and its duration instead.
    const lines = DOCKERFILE.split("\n");
    const findings = dockerfilelint
      .run(ROOT, DOCKERFILE)
      .filter((f) => !(f.rule === "invalid_format" && /^HEALTHCHECK .*--start-period=/.test(lines[f.line - 1] ?? "")))
      .map((f) => `line ${f.line}: ${f.title}: ${lines[f.line - 1]}`);
    assert.deepEqual(findings, [], "dockerfilelint");
  });

  it("the image is multi-stage, runs as a user, checks its health, keeps /data in a volume", () => {
    const all = stages();
    assert.ok(all.length >= 2, "a build stage and a runtime stage");
    const runtime = all.at(-1) as Stage;
    assert.equal(runtime.name, "runtime");
    const runs = only(runtime, "RUN").map((r) => r.getArgumentsContent() ?? "");
    assert.ok(
      !runs.some((run) => /npm (ci|install)|apt-get install/.test(run)),
      "nothing is installed in the runtime stage",
    );
    const copies = only(runtime, "COPY").map(text);
    assert.ok(
      copies.some((c) => /--from=(\S+).*node_modules/.test(c)),
      "node_modules come from a stage that installs with --omit=dev",
    );
    const depsStage = all.find((s) => copies.some((c) => c.includes(`--from=${s.name} /app/node_modules `)));
    assert.ok(
      depsStage !== undefined &&
        only(depsStage, "RUN").some((r) => /npm ci --omit=dev/.test(r.getArgumentsContent() ?? "")),
      "that stage installs production dependencies only",
    );
    assert.ok(!copies.some((c) => /^COPY (\.|src|test)\s/.test(c)), "no sources in the runtime stage");
    assert.ok(
      copies.some((c) => /^COPY --from=build \/app\/dist\/web /.test(c)),
      "the built web app, which the server serves at /",
    );
    const user = only(runtime, "USER").at(-1)?.getArgumentsContent();
    assert.ok(user !== undefined && user !== "root" && user !== "0", "a non-root user");
    assert.match(
      only(runtime, "VOLUME")
        .map((v) => v.getArgumentsContent())
        .join(" "),
      /\/data/,
    );
    assert.match(
      only(runtime, "ENV")
        .map((e) => e.getArgumentsContent())
        .join(" "),
      /HONGBAO_DB=\/data\//,
    );
    assert.equal(only(runtime, "HEALTHCHECK").length, 1, "a healthcheck");
    assert.deepEqual(execWords(only(runtime, "CMD")[0] as Instruction).slice(-2), ["dist/src/cli/main.js", "serve"]);
    const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8");
    assert.match(ignored, /^\*$/m, ".dockerignore lets in only what it names");
    assert.doesNotMatch(ignored, /^!(data|node_modules|dist)\b/m, "never local data, dependencies or builds");
  });

  it("compose runs the image on PostgreSQL, once it is healthy, with the admin token's folder in a volume", () => {
    const { hongbao, postgres, volumes } = composeFile();
    assert.ok(hongbao.build === ".");
    assert.ok(hongbao.volumes?.some((v) => /^[\w-]+:\/data$/.test(v) && (v.split(":")[0] as string) in volumes));
    assert.ok(Number.parseInt(hongbao.stop_grace_period ?? "0", 10) > 10, "longer than the 10 s drain");
    const store = new URL(hongbao.environment.HONGBAO_STORE ?? "");
    assert.equal(store.protocol, "postgres:");
    assert.equal(store.hostname, "postgres", "the compose service's name");
    assert.equal(store.pathname, `/${postgres.environment.POSTGRES_DB}`);
    assert.equal(store.username, postgres.environment.POSTGRES_USER);
    assert.deepEqual(hongbao.depends_on, { postgres: { condition: "service_healthy" } });
    assert.equal(postgres.profiles, undefined, "started with hongbao, not behind a profile");
    assert.equal(postgres.ports, undefined, "PostgreSQL is reached on the compose network only");
    assert.ok(postgres.volumes?.some((v) => /^[\w-]+:\/var\/lib\/postgresql\/data$/.test(v)));
    assert.ok(Array.isArray(postgres.healthcheck?.test));
  });

  it(
    "the runtime folder holds production dependencies only, answers the image's healthcheck, and stops on SIGTERM with 0",
    SLOW,
    async () => {
      const folder = join(tempDir(), "app");
      await promisify(execFile)("bash", [join(ROOT, "scripts", "runtime-folder.sh"), folder, "--reuse-native"], {
        timeout: 180_000,
      });
      // Development tools that no production package needs (yaml, say, is also a dependency of one).
      for (const name of [
        "typescript",
        "@biomejs/biome",
        "pino-pretty",
        "fast-check",
        "autocannon",
        "dockerfilelint",
      ]) {
        assert.ok(name in PKG.devDependencies, name);
        assert.equal(existsSync(join(folder, "node_modules", name)), false, `no dev dependency (${name})`);
      }
      for (const name of Object.keys(PKG.dependencies))
        assert.ok(existsSync(join(folder, "node_modules", name)), `production dependency ${name}`);

      const port = await freePort();
      // The image's environment, on loopback and a free port.
      const env = {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        HONGBAO_HOST: "127.0.0.1",
        HONGBAO_PORT: String(port),
        HONGBAO_DB: join(tempDir(), "data", "hongbao.db"),
      };
      const server = startLikeTheImage(folder, env);
      try {
        await server.healthy();
        assert.match(server.output(), /first start: made an admin token/);
        const page = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(page.status, 200, "the web app is served at /");
        assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
        await server.stopsWithZero();
        const pretty = await promisify(execFile)(
          process.execPath,
          ["dist/src/cli/main.js", "serve", "--log-format", "pretty"],
          {
            cwd: folder,
            env,
          },
        ).then(
          () => assert.fail("pretty logs need pino-pretty, which a production install lacks"),
          (error: { code: number; stderr: string }) => error,
        );
        assert.equal(pretty.code, 2);
        assert.match(pretty.stderr, /^hongbao serve: --log-format pretty needs pino-pretty, a development dependency/);
      } finally {
        server.kill();
      }

      // compose.yaml's hongbao: the same folder on PostgreSQL (here the test server, a new database).
      const { hongbao } = composeFile();
      const database = await createDatabase();
      const store = new URL(hongbao.environment.HONGBAO_STORE as string);
      const test = new URL(SERVER_URL);
      Object.assign(store, { host: test.host, username: test.username, password: test.password });
      store.pathname = `/${database.name}`;
      const onPostgres = startLikeTheImage(folder, {
        ...env,
        ...hongbao.environment,
        HONGBAO_STORE: store.toString(),
        HONGBAO_DB: join(tempDir(), "data", "hongbao.db"),
      });
      try {
        await onPostgres.healthy();
        assert.match(onPostgres.output(), /first start: made an admin token/);
        await onPostgres.stopsWithZero();
      } finally {
        onPostgres.kill();
        await dropDatabase(database.name);
      }
    },
  );

  const docker = (() => {
    try {
      execFileSync("docker", ["info"], { stdio: "ignore", timeout: 10_000 });
      return true;
    } catch {
      return false;
    }
  })();
  it("builds the image where a Docker daemon runs", {
    ...SLOW,
    skip: docker ? false : "no Docker daemon here",
  }, async () => {
    await promisify(execFile)("docker", ["build", "-t", "hongbao:test", ROOT], { timeout: 600_000 });
  });
});

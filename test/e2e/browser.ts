/**
 * Real headless Chromium (Debian's package) driven by playwright-core, and a real hongbao
 * server on an ephemeral loopback port, for the web app's end-to-end tests.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import type { AdmissionOptions } from "../../src/api/admission.js";
import { type RunningServer, startServer } from "../../src/server.js";

export const CHROMIUM = process.env.HONGBAO_CHROMIUM ?? "/usr/bin/chromium";
export const ADMIN_TOKEN = "e2e-admin-token-0123456789-abcdef";
export const SCREENSHOTS = fileURLToPath(new URL("../../../docs/screenshots/", import.meta.url));

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

export interface Served {
  readonly server: RunningServer;
  readonly dir: string;
  close(): Promise<void>;
}

export async function serve(
  options: { testClock?: boolean; signup?: boolean; admission?: AdmissionOptions } = {},
): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), "hongbao-e2e-"));
  const server = await startServer({
    port: 0,
    host: "127.0.0.1",
    db: join(dir, "hongbao.db"),
    adminToken: ADMIN_TOKEN,
    tokenSecret: "e2e-token-secret-0123456789-abcdefghij",
    testClock: options.testClock ?? false,
    signup: options.signup ?? false,
    ...(options.admission === undefined ? {} : { admission: options.admission }),
    logLevel: "warn",
  });
  return {
    server,
    dir,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The operator's API, as the tests' setup uses it. */
export async function admin<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      "idempotency-key": crypto.randomUUID(),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A phone-sized browser context (375 px), already logged in as `token` when given. */
export async function phone(
  browser: Browser,
  base: string,
  login?: { token: string; userId: string },
  lang: "zh" | "en" = "zh",
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: base,
    viewport: { width: 375, height: 740 },
    deviceScaleFactor: 1,
    reducedMotion: "reduce",
    locale: lang === "zh" ? "zh-CN" : "en-US",
  });
  // Runs in the page, before the app: the language, and the session of a logged-in person.
  const values = JSON.stringify({ token: login?.token ?? "", userId: login?.userId ?? "", lang });
  await context.addInitScript({
    content: `(() => { const v = ${values};
      localStorage.setItem("hongbao.lang", v.lang);
      if (v.token && localStorage.getItem("hongbao.token") === null) {
        localStorage.setItem("hongbao.token", v.token);
        localStorage.setItem("hongbao.userId", v.userId);
      } })();`,
  });
  return context;
}

/** Screenshots are written only when asked (HONGBAO_SCREENSHOTS=1), not on every test run. */
export const SHOOTING = process.env.HONGBAO_SCREENSHOTS === "1";

/** Saves the page as a phone shows it (375 px) and, as `name-desktop`, at a desktop's width. */
export async function shoot(page: Page, name: string): Promise<void> {
  if (!SHOOTING) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  const phoneSize = page.viewportSize();
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`) });
  if (phoneSize !== null) await page.setViewportSize(phoneSize);
}

/**
 * A server and a browser, started together. If either fails to start, the other is closed
 * before the error is thrown: a test whose `before` fails never reaches the assignment, so its
 * `after` could not close a server left running, and the test process would never end.
 */
export async function serveAndLaunch(options: Parameters<typeof serve>[0] = {}): Promise<[Served, Browser]> {
  const [served, browser] = await Promise.allSettled([serve(options), launch()]);
  if (served.status === "fulfilled" && browser.status === "fulfilled") return [served.value, browser.value];
  if (served.status === "fulfilled") await served.value.close();
  if (browser.status === "fulfilled") await browser.value.close();
  throw served.status === "rejected" ? served.reason : (browser as PromiseRejectedResult).reason;
}

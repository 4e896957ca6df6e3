import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { admin, phone, type Served, serveAndLaunch, shoot } from "./browser.js";

interface User {
  userId: string;
  token: string;
}

/** A mark set in the page: still there later means the page was never reloaded. */
// Strings evaluated in the page: the tests compile without the DOM's types.
const mark = (page: Page) => page.evaluate("window.hongbaoMark = 1");
const marked = async (page: Page) => (await page.evaluate("window.hongbaoMark === 1")) === true;

describe("the web app live, signing up, and a special day's limits (headless Chromium)", () => {
  let served: Served;
  let browser: Browser;
  let base: string;
  let alice: User;
  let bob: User;

  before(async () => {
    [served, browser] = await serveAndLaunch({ signup: true, testClock: true });
    base = served.server.url;
    alice = await admin<User>(base, "POST", "/v1/admin/users", { phone: "+8613800000201", name: "alice" });
    bob = await admin<User>(base, "POST", "/v1/admin/users", { phone: "+8613800000202", name: "bob" });
    await admin(base, "POST", "/v1/admin/deposits", { userId: alice.userId, amount: 100_000 });
  });
  after(async () => {
    await browser?.close();
    await served?.close();
  });

  const asAlice = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${alice.token}`,
        "content-type": "application/json",
        "idempotency-key": crypto.randomUUID(),
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as { id: string };
  };

  it("a packet sent by another person appears in the open room, and a transfer in the open wallet, without a reload", async () => {
    const group = await asAlice("POST", "/v1/groups", { name: "live", memberIds: [bob.userId] });
    const context = await phone(browser, base, bob);
    const room = await context.newPage();
    await room.goto(`/#/groups/${group.id}`);
    await room.getByRole("heading", { name: "live" }).waitFor();
    assert.equal(await room.locator(".envelope").count(), 0);
    await mark(room);
    const packet = await asAlice("POST", "/v1/red-packets", {
      kind: "lucky",
      amount: 888,
      count: 2,
      groupId: group.id,
      greeting: "实时到达",
    });
    await room.locator(`[data-packet="${packet.id}"]`).waitFor();
    assert.ok(await marked(room), "the room was not reloaded");
    await shoot(room, "10-live-packet");

    const wallet = await context.newPage();
    await wallet.goto("/");
    await wallet.getByTestId("balance").filter({ hasText: "0.00" }).waitFor();
    await mark(wallet);
    await asAlice("POST", "/v1/transfers", { to: bob.userId, amount: 1_314, memo: "live" });
    await wallet.getByTestId("incoming").waitFor();
    await admin(base, "POST", "/v1/admin/deposits", { userId: bob.userId, amount: 500 });
    await wallet.getByTestId("balance").filter({ hasText: "5.00" }).waitFor();
    assert.ok(await marked(wallet), "the wallet was not reloaded");
    await context.close();
  });

  it("a new phone signs up in the app when the server allows it, reading the dev sender's code", async () => {
    const context = await phone(browser, base, undefined, "en");
    const page = await context.newPage();
    await page.goto("/");
    await page.getByText("A new phone number signs up as it logs in.").waitFor();
    await page.getByLabel("Phone").fill("+8613800000299");
    await page.getByRole("button", { name: "Send code" }).click();
    const code = (await page.getByTestId("dev-code").locator("strong").textContent()) ?? "";
    assert.match(code, /^[0-9]{6}$/);
    await page.getByLabel("Code").fill(code);
    await page.getByLabel("Your name (new users)").fill("Newcomer");
    await shoot(page, "11-sign-up");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByTestId("balance").filter({ hasText: "0.00" }).waitFor();
    const token = await page.evaluate('localStorage.getItem("hongbao.token")');
    const me = (await (await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      name: string;
      phone: string;
    };
    assert.deepEqual(me.name, "Newcomer");
    assert.equal(me.phone, "+8613800000299");
    await context.close();
  });

  it("names the special day and its cap in the wallet: 七夕: 单个红包上限 520 元", async () => {
    await admin(base, "POST", "/v1/admin/clock", { now: "2026-08-19T10:00:00+08:00" });
    const context = await phone(browser, base, alice);
    const page = await context.newPage();
    await page.goto("/");
    const special = page.getByTestId("special-day");
    await special.waitFor();
    assert.equal(((await special.textContent()) ?? "").replace(/\s+/g, " ").trim(), "七夕: 单个红包上限 520 元");
    await shoot(page, "12-special-day-limits");
    await context.close();
  });
});

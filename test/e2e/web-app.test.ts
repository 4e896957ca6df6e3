import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { admin, phone, type Served, serveAndLaunch, shoot } from "./browser.js";

interface User {
  userId: string;
  token: string;
}

describe("the web app in headless Chromium", () => {
  let served: Served;
  let browser: Browser;
  let base: string;
  const users: Record<string, User> = {};

  before(async () => {
    [served, browser] = await serveAndLaunch();
    base = served.server.url;
    for (const [name, number] of [
      ["newcomer", "+8613800000101"],
      ["b", "+8613800000102"],
      ["c", "+8613800000103"],
      ["d", "+8613800000104"],
      ["late", "+8613800000105"],
    ] as const) {
      users[name] = await admin<User>(base, "POST", "/v1/admin/users", { phone: number, name });
    }
  });
  after(async () => {
    await browser?.close();
    await served?.close();
  });

  const balanceOf = async (name: string) => {
    const response = await fetch(`${base}/v1/me/wallet`, {
      headers: { authorization: `Bearer ${users[name]?.token}` },
    });
    return ((await response.json()) as { balance: number }).balance;
  };

  it("serves the app with cache headers, and the API, /docs and /metrics beside it", async () => {
    const index = await fetch(`${base}/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get("cache-control"), "no-cache");
    assert.match(index.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, "index.html names a hashed script");
    const asset = await fetch(`${base}${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get("cache-control") ?? "", /immutable/);
    for (const path of ["/openapi.json", "/metrics", "/healthz", "/docs/"]) {
      assert.equal((await fetch(`${base}${path}`)).status, 200, path);
    }
    const missing = await fetch(`${base}/v1/nope`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
  });

  it("a newcomer logs in with the dev code, is topped up, and a lucky packet is grabbed by three, then sold out", async () => {
    const newcomer = await phone(browser, base);
    const page = await newcomer.newPage();
    const offHost: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(base) && !request.url().startsWith("blob:")) offHost.push(request.url());
    });
    await page.goto("/");
    await page.getByLabel("手机号").fill("+8613800000101");
    await page.getByRole("button", { name: "获取验证码" }).click();
    const code = (await page.getByTestId("dev-code").locator("strong").textContent()) ?? "";
    assert.match(code, /^[0-9]{6}$/);
    await shoot(page, "01-login-dev-code");
    await page.getByLabel("验证码").fill(code);
    await page.getByRole("button", { name: "登录" }).click();
    await page.getByTestId("balance").filter({ hasText: "0.00" }).waitFor();

    const newcomerId = users.newcomer?.userId as string;
    await admin(base, "POST", "/v1/admin/deposits", { userId: newcomerId, amount: 200_000 });
    await page.getByTestId("balance").filter({ hasText: "2000.00" }).waitFor();
    assert.equal(await page.getByTestId("my-id").textContent(), newcomerId);
    await shoot(page, "02-wallet");

    await page.getByRole("link", { name: "群聊" }).click();
    await page.getByLabel("群名").fill("七夕群");
    const members = ["b", "c", "d", "late"].map((name) => users[name]?.userId).join(",");
    await page.getByLabel("成员账号（逗号分隔）").fill(members);
    await page.getByRole("button", { name: "创建" }).click();
    await page.getByRole("heading", { name: "七夕群" }).waitFor();
    const groupPath = new URL(page.url()).hash;
    await page.getByLabel("类型").selectOption("lucky");
    await page.getByLabel("金额（元）").fill("13.14");
    await page.getByLabel("个数").fill("3");
    await page.getByLabel("祝福语").fill("七夕快乐");
    await page.getByRole("button", { name: "塞钱进红包" }).click();
    await page.locator(".envelope").first().waitFor();
    await shoot(page, "03-room-packet");

    const grabbed: number[] = [];
    const contexts = await Promise.all(["b", "c", "d"].map((name) => phone(browser, base, users[name])));
    const pages = await Promise.all(contexts.map((context) => context.newPage()));
    await Promise.all(
      pages.map(async (grabber) => {
        await grabber.goto(`/${groupPath}`);
        await grabber.locator(".envelope").first().click();
        await grabber.getByRole("button", { name: "開" }).click();
        const text = (await grabber.getByTestId("grabbed").locator("strong").textContent()) ?? "";
        // The contexts ask for reduced motion: the envelope opens without its animation.
        const animation = await grabber
          .locator(".red-card.open")
          .evaluate(
            (card) =>
              (globalThis as unknown as { getComputedStyle(e: unknown): { animationName: string } }).getComputedStyle(
                card,
              ).animationName,
          );
        assert.equal(animation, "none");
        grabbed.push(Math.round(Number(text) * 100));
      }),
    );
    assert.equal(
      grabbed.reduce((a, b) => a + b, 0),
      1314,
      "the three shares add up to the packet",
    );

    const last = pages[2] as Page;
    await last.getByRole("button", { name: "关闭" }).click();
    await last.locator(".envelope").first().click();
    await last.getByTestId("lucky-king").waitFor();
    assert.equal(await last.getByTestId("grabs").locator("li").count(), 3);
    await last.getByRole("button", { name: "验证公平性" }).click();
    assert.equal(await last.getByTestId("verdict").textContent(), "验证通过：份额与承诺一致");
    await shoot(last, "04-lucky-king-verified");

    const lateContext = await phone(browser, base, users.late);
    const latePage = await lateContext.newPage();
    await latePage.goto(`/${groupPath}`);
    await latePage.locator(".envelope").first().click();
    assert.equal(await latePage.getByTestId("packet-note").textContent(), "手慢了，红包派完了");
    await shoot(latePage, "05-sold-out");

    assert.deepEqual(offHost, [], "no request leaves the service's host");
    await Promise.all([newcomer, lateContext, ...contexts].map((context) => context.close()));
  });

  it("a 520-yuan transfer with 我爱你 is previewed as a gift before it is sent; the recipient declines and it is refunded", async () => {
    await admin(base, "POST", "/v1/admin/deposits", { userId: users.c?.userId, amount: 100_000 });
    const sender = await phone(browser, base, users.c);
    const page = await sender.newPage();
    await page.goto("/#/transfer");
    await page.getByLabel("收款人账号").fill(users.d?.userId as string);
    await page.getByLabel("金额（元）").fill("520");
    await page.getByLabel("备注").fill("我爱你");
    await page.getByLabel("性质").selectOption("loan");
    await page.getByRole("button", { name: "预览" }).click();
    const preview = page.getByTestId("preview");
    await preview.waitFor();
    assert.match((await preview.textContent()) ?? "", /gift/);
    assert.ok(
      (await page.getByTestId("warnings").locator("li").count()) > 0,
      "a loan declared on gift words is warned",
    );
    await shoot(page, "06-transfer-preview-warning");
    const before = await balanceOf("c");
    await page.getByRole("button", { name: /确认转账/ }).click();
    await page.getByTestId("transfer-done").waitFor();
    assert.equal(await balanceOf("c"), before - 52_000);

    const recipient = await phone(browser, base, users.d);
    const inbox = await recipient.newPage();
    await inbox.goto("/");
    const incoming = inbox.getByTestId("incoming");
    await incoming.waitFor();
    assert.match((await incoming.getByTestId("time-left").textContent()) ?? "", /^2[34]:\d\d:\d\d/);
    await shoot(inbox, "07-incoming-transfer");
    await incoming.getByRole("button", { name: "退还" }).click();
    await incoming.waitFor({ state: "detached" });
    assert.equal(await balanceOf("c"), before, "the declined transfer is back with the sender");
    await Promise.all([sender.close(), recipient.close()]);
  });

  it("the campaign page answers claimed, sold out and already claimed", async () => {
    const now = Date.now();
    const campaign = await admin<{ id: string }>(base, "POST", "/v1/admin/campaigns", {
      name: "13:14",
      budget: 1314,
      amount: { fixed: 1314 },
      startsAt: new Date(now - 1000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
      perUserLimit: 1,
    });
    const winner = await phone(browser, base, users.b);
    const page = await winner.newPage();
    await page.goto(`/#/campaigns/${campaign.id}`);
    await page.getByTestId("claim").click();
    await page.getByTestId("claim-answer").filter({ hasText: "抢到了 13.14 元" }).waitFor();
    await shoot(page, "08-campaign-claimed");
    await page.reload();
    await page.getByTestId("claim").click();
    await page.getByTestId("claim-answer").filter({ hasText: "你已经抢过了" }).waitFor();

    const loser = await phone(browser, base, users.c);
    const second = await loser.newPage();
    await second.goto(`/#/campaigns/${campaign.id}`);
    await second.getByTestId("claim").click();
    await second.getByTestId("claim-answer").filter({ hasText: "红包已抢光" }).waitFor();
    await shoot(second, "09-campaign-sold-out");
    await Promise.all([winner.close(), loser.close()]);
  });
});

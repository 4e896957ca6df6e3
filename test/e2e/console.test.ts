import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { ADMIN_TOKEN, admin, phone, type Served, serveAndLaunch, shoot } from "./browser.js";

const CROWD = 40;

describe("the operator console (headless Chromium)", () => {
  let served: Served;
  let browser: Browser;

  before(async () => {
    // Claims are shed past a queueing delay that a loaded test machine reaches by itself: this
    // test is about the console's figures, so its server sheds only far past that.
    [served, browser] = await serveAndLaunch({ admission: { targetDelayMs: 5_000 } });
  });
  after(async () => {
    await browser?.close();
    await served?.close();
  });

  it("creates a campaign, shows a year's special days and adds one, and its figures move during a small crowd", async () => {
    const base = served.server.url;
    const context = await phone(browser, base, undefined, "zh");
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto("/#/console");
    await page.getByLabel("管理员令牌").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "进入" }).click();

    await page.getByLabel("名称", { exact: true }).first().fill("控制台活动");
    await page.getByRole("button", { name: "创建", exact: true }).click();
    await page.getByTestId("live").filter({ hasText: "控制台活动" }).waitFor();

    const calendar = page.getByTestId("calendar");
    await calendar.getByLabel("年份").fill("2026");
    await calendar.getByText("2026-08-19 七夕").waitFor();
    await calendar.getByLabel("名称").fill("程序员节");
    await calendar.getByLabel("日期").fill("2026-10-24");
    await calendar.getByLabel("单个红包上限（元）").fill("10.24");
    await calendar.getByRole("button", { name: "添加特殊日" }).click();
    await calendar.getByText("2026-10-24 程序员节 · 单个红包上限 10.24").waitFor();

    // A small flash crowd on a campaign that has started, watched from the console.
    const now = Date.now();
    const campaign = await admin<{ id: string }>(base, "POST", "/v1/admin/campaigns", {
      name: "小型人潮",
      budget: 1314 * CROWD,
      amount: { fixed: 1314 },
      startsAt: new Date(now - 1000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
      perUserLimit: 1,
    });
    const made = await admin<{ users: { token: string }[] }>(base, "POST", "/v1/admin/users/bulk", {
      users: Array.from({ length: CROWD }, (_, i) => ({
        phone: `+86139000${String(i).padStart(5, "0")}`,
        name: `c${i}`,
      })),
    });
    await page.getByLabel("实时监控").fill(campaign.id);
    await page.getByTestId("claimed-count").filter({ hasText: /^0$/ }).waitFor();
    const budgetBefore = await page.getByTestId("budget-left").textContent();
    // Arrivals spread over about two seconds, so the once-a-second figures see them come in.
    await Promise.all(
      made.users.map(async (user, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 50));
        // A loaded machine may shed a claim: the crowd waits out Retry-After, as a person's page does.
        for (let attempt = 0; ; attempt++) {
          const response = await fetch(`${base}/v1/campaigns/${campaign.id}/claim`, {
            method: "POST",
            headers: { authorization: `Bearer ${user.token}`, "idempotency-key": crypto.randomUUID() },
          });
          const text = await response.text();
          if (response.status === 503 && attempt < 20) {
            await new Promise((resolve) =>
              setTimeout(resolve, Number(response.headers.get("retry-after") ?? 1) * 1000),
            );
            continue;
          }
          assert.equal(response.status, 200, text);
          return;
        }
      }),
    );
    await page
      .getByTestId("claimed-count")
      .filter({ hasText: String(CROWD) })
      .waitFor();
    assert.notEqual(await page.getByTestId("budget-left").textContent(), budgetBefore);
    assert.equal(await page.getByTestId("budget-left").textContent(), "0.00");
    const admitted = Number(await page.getByTestId("admitted-campaign").textContent());
    assert.ok(admitted >= CROWD, `admitted claims ${admitted}`);
    await shoot(page, "14-console");
    await context.close();
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { admin, phone, type Served, serveAndLaunch, shoot } from "./browser.js";

const RETRY_AFTER_S = 3;

/** A server whose claim admission sheds every claim with Retry-After 3 (no claim may queue). */
describe("the campaign page under a crowd (headless Chromium)", () => {
  let served: Served;
  let browser: Browser;

  before(async () => {
    [served, browser] = await serveAndLaunch({
      admission: { claimQueueLengthMax: 0, retryAfterSecondsMin: RETRY_AFTER_S, retryAfterSecondsMax: RETRY_AFTER_S },
    });
  });
  after(async () => {
    await browser?.close();
    await served?.close();
  });

  it("shows the place in line and 'N s', keeps the button off, and claims again only once Retry-After has passed", async () => {
    const base = served.server.url;
    const user = await admin<{ userId: string; token: string }>(base, "POST", "/v1/admin/users", {
      phone: "+8613800000301",
      name: "crowd",
    });
    const now = Date.now();
    const campaign = await admin<{ id: string }>(base, "POST", "/v1/admin/campaigns", {
      name: "shed",
      budget: 10_000,
      amount: { fixed: 100 },
      startsAt: new Date(now - 1000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
    });
    const context = await phone(browser, base, user);
    const page = await context.newPage();
    const claims: number[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/claim")) claims.push(Date.now());
    });
    await page.goto(`/#/campaigns/${campaign.id}`);
    await page.getByTestId("claim").click();
    await page
      .getByTestId("claim-answer")
      // Shed with a place in the waiting room, the page says where the person stands.
      .filter({ hasText: /排队中：第 \d+ 位，[123] 秒后自动重试|人太多了，[123] 秒后再试/ })
      .waitFor();
    assert.ok(await page.getByTestId("claim").isDisabled(), "the button is off while waiting");
    await shoot(page, "13-campaign-retry-after");
    // The page claims again by itself, not before Retry-After.
    for (let i = 0; i < 300 && claims.length < 2; i++) await page.waitForTimeout(100);
    assert.ok(claims.length >= 2, "the claim is tried again");
    assert.ok(
      (claims[1] as number) - (claims[0] as number) >= RETRY_AFTER_S * 1000 - 250,
      `tried again after ${(claims[1] as number) - (claims[0] as number)} ms, not before Retry-After`,
    );
    await context.close();
  });
});

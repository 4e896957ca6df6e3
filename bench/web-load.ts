/**
 * First load of the web app on loopback, in headless Chromium: from navigation to the app
 * rendered and answering (the page marks `data-ready`), cold cache, five runs. Also prints
 * the JavaScript budget. Run: `npm run web:perf`.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { launch, serve } from "../test/e2e/browser.js";

const RUNS = 5;
const BAR_MS = 1000;

const served = await serve();
const browser = await launch();
try {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(served.server.url);
    await page.waitForFunction(
      () =>
        (globalThis as { document?: { body: { dataset: { ready?: string } } } }).document?.body.dataset.ready === "1",
    );
    times.push(performance.now() - started);
    await context.close();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  console.log(
    `first load to interactive (loopback, cold cache, ${RUNS} runs): median ${median.toFixed(0)} ms, ` +
      `max ${(times[times.length - 1] as number).toFixed(0)} ms; bar < ${BAR_MS} ms: ${median < BAR_MS ? "met" : "NOT met"}`,
  );
} finally {
  await browser.close();
  await served.close();
}
execFileSync(process.execPath, [fileURLToPath(new URL("../../web/budget.mjs", import.meta.url))], { stdio: "inherit" });

import { expect, test } from "@playwright/test";

// What a first visit to the two pages everyone opens costs, compressed as
// the browser receives it (HTML, CSS, JS, wasm and the rest), with an
// empty cache. The goal of issue 13 is 60 KB; the budget below is where
// the pages stand (bench/README.md, "Page weight"), so that nothing grows
// unnoticed while the goal is worked towards. Needs the release site
// (`cargo xtask site --release`, which `make dev` builds).
const BUDGET_BYTES = 130_000;

for (const path of ["/e/demo", "/e/demo/status"]) {
  test(`first load of ${path} stays within the page-weight budget`, async ({ browser }) => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const seen: Promise<[string, number]>[] = [];
    page.on("requestfinished", (req) => {
      if (req.url().endsWith("/live")) return; // the live stream, not the page
      seen.push(req.sizes().then((s) => [new URL(req.url()).pathname, s.responseBodySize] as [string, number]));
    });
    const wasm = page.waitForResponse((r) => r.url().endsWith(".wasm"));
    await page.goto(path);
    const w = await wasm;
    await w.finished();
    // Hydrated: the live island reports its link.
    await expect(page.getByTestId("live-state")).toHaveAttribute("data-state", "live");
    const sizes = await Promise.all(seen);
    const total = sizes.reduce((n, [, b]) => n + b, 0);
    console.log(`${path}: ${total} B compressed`, JSON.stringify(sizes));
    // Public pages load the lean bundle, without the screens' countdown.
    expect(new URL(w.url()).pathname).toBe("/pkg/marquee-lean.wasm");
    expect(w.headers()["content-encoding"]).toMatch(/^(br|gzip)$/);
    expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
    await ctx.close();
  });
}

test("the countdown screens load the full bundle, which the public pages do not need", async ({ page }) => {
  const wasm = page.waitForResponse((r) => r.url().endsWith(".wasm"));
  await page.goto("/e/demo/screen");
  expect(new URL((await wasm).url()).pathname).toBe("/pkg/marquee.wasm");
  await expect(page.getByTestId("screen")).toHaveAttribute("data-link", "live");
});

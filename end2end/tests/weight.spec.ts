import { expect, test } from "@playwright/test";

// What a first visit to the two pages everyone opens costs, compressed as
// the browser receives it (HTML, CSS, JS and the rest), with an empty
// cache: at most 60 KB (issue 13; bench/README.md, "Page weight"). Needs
// the release site (`cargo xtask site --release`, which `make dev` builds:
// minified scripts).
const BUDGET_BYTES = 60_000;

for (const path of ["/e/demo", "/e/demo/status"]) {
  test(`first load of ${path} stays within the page-weight budget`, async ({ browser }) => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const seen: Promise<[string, number, string]>[] = [];
    page.on("requestfinished", (req) => {
      if (req.url().endsWith("/live")) return; // the live stream, not the page
      seen.push(
        req.sizes().then(async (s) => {
          const res = await req.response();
          return [new URL(req.url()).pathname, s.responseBodySize, res?.headers()["content-encoding"] ?? ""] as [string, number, string];
        }),
      );
    });
    await page.goto(path);
    // Enhanced and following the live stream: everything a visitor gets.
    await expect(page.getByTestId("live-state")).toHaveAttribute("data-state", "live");
    const sizes = await Promise.all(seen);
    const total = sizes.reduce((n, [, b]) => n + b, 0);
    console.log(`${path}: ${total} B compressed`, JSON.stringify(sizes));
    const paths = sizes.map(([p]) => p);
    // The public pages run no wasm: the countdown screens' islands only.
    expect(paths.filter((p) => p.endsWith(".wasm") || p.startsWith("/pkg/marquee.js"))).toEqual([]);
    expect(paths).toContain("/enhance.js");
    // Text is sent compressed (what the budget assumes).
    for (const [p, bytes, enc] of sizes) {
      if (/\.(js|css)$/.test(p) || p === path) expect(enc, `${p} (${bytes} B)`).toMatch(/^(br|gzip)$/);
    }
    expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
    await ctx.close();
  });
}

test("the countdown screens load the islands' wasm, which the public pages do not need", async ({ page }) => {
  const wasm = page.waitForResponse((r) => r.url().endsWith(".wasm"));
  await page.goto("/e/demo/screen");
  expect(new URL((await wasm).url()).pathname).toBe("/pkg/marquee.wasm");
  await expect(page.getByTestId("screen")).toHaveAttribute("data-link", "live");
});

import { test, expect, Browser, Page } from "@playwright/test";

async function organiser(browser: Browser): Promise<Page> {
  const ctx = await browser.newContext({ locale: "en-GB" });
  const page = await ctx.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill("organiser@example.org");
  await page.getByLabel("Password").fill("organiser-password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await page.goto("/admin/e/demo");
  return page;
}

async function attendee(browser: Browser, path: string): Promise<Page> {
  const ctx = await browser.newContext({ locale: "en-GB" });
  const page = await ctx.newPage();
  await page.goto(path);
  await expect(page.getByTestId("live-state")).toHaveAttribute("data-state", "live", {
    // Connecting waits for the wasm to start (seconds for the debug build on a busy
    // machine); what these tests time is the update after that.
    timeout: 20_000,
  });
  // A marker that a reload would wipe.
  await page.evaluate(() => ((window as any).__notReloaded = true));
  return page;
}

test("an incident opened by an organiser reaches open attendee pages within a second, without reload", async ({ browser }) => {
  const status = await attendee(browser, "/e/demo/status");
  const schedule = await attendee(browser, "/e/demo");
  await expect(status.getByTestId("overall")).toContainText("All Systems Operational");

  const admin = await organiser(browser);
  await admin.locator("#template").selectOption("stream_down");
  await admin.getByLabel("All streams").check();
  await admin.getByRole("button", { name: "Post incident" }).click();
  await expect(admin.locator("#admin-live")).toContainText("Streams unavailable");

  await expect(status.locator("#live-banner")).toContainText("Streams unavailable", { timeout: 1000 });
  await expect(status.getByTestId("overall")).toContainText("Major System Outage", { timeout: 1000 });
  await expect(schedule.locator("#live-banner")).toContainText("Streams unavailable", { timeout: 1000 });
  await expect(schedule.locator("#live-banner")).toContainText("Affects: all streams");
  for (const p of [status, schedule]) {
    expect(await p.evaluate(() => (window as any).__notReloaded)).toBe(true);
  }

  // An update and the resolution arrive the same way.
  await admin.locator("#admin-live textarea").first().fill("A CDN node failed; switching over.");
  await admin.locator("#admin-live select[name=status]").first().selectOption("identified");
  // Signed because the organiser chose to; the opening stays unsigned.
  await admin.locator("#admin-live").getByLabel("Signature (optional)").first().fill("Ana, stream team");
  await admin.getByRole("button", { name: "Post update" }).click();
  await expect(status.locator(".timeline").first()).toContainText("A CDN node failed", { timeout: 1000 });
  await expect(status.getByTestId("signature")).toHaveCount(1);
  await expect(status.getByTestId("signature")).toHaveText("— Ana, stream team");
  await admin.getByTestId("resolve").click();
  await expect(schedule.locator("#live-banner")).toBeEmpty({ timeout: 1000 });
  await expect(status.getByTestId("overall")).toContainText("All Systems Operational", { timeout: 1000 });
  await expect(status.locator("section", { hasText: "Past incidents" })).toContainText("Streams unavailable");
});

test("a change written while the page was still loading reaches it", async ({ browser }) => {
  const admin = await organiser(browser);
  const ctx = await browser.newContext({ locale: "en-GB" });
  const page = await ctx.newPage();
  // The page's HTML arrives; its script (and so its live stream) is held back.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route(/\/enhance\.js$/, async (route) => {
    await held;
    await route.continue();
  });
  // A module script holds DOMContentLoaded back: wait for the HTML only.
  await page.goto("/e/demo/status", { waitUntil: "commit" });
  await expect(page.getByTestId("overall")).toContainText("All Systems Operational");

  // Written after the render, before the stream opens.
  await admin.locator("#template").selectOption("stream_down");
  await admin.getByLabel("All streams").check();
  await admin.getByRole("button", { name: "Post incident" }).click();
  await expect(admin.locator("#admin-live")).toContainText("Streams unavailable");

  release();
  await expect(page.getByTestId("live-state")).toHaveAttribute("data-state", "live", { timeout: 20_000 });
  // No later change comes: the page catches up from where it was rendered.
  await expect(page.getByTestId("overall")).toContainText("Major System Outage", { timeout: 5_000 });
  await expect(page.locator("#live-banner")).toContainText("Streams unavailable");

  await admin.getByTestId("resolve").click();
  await expect(page.getByTestId("overall")).toContainText("All Systems Operational", { timeout: 5_000 });
});

test("the status page is readable without JavaScript", async ({ browser }) => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, locale: "ru-RU" });
  const page = await ctx.newPage();
  await page.goto("/e/demo/status");
  await expect(page.locator("h1")).toContainText("Статус");
  await expect(page.locator(".component")).toHaveCount(4);
  await expect(page.locator(".component").first().locator(".uptime .bar")).toHaveCount(90);
  await expect(page.locator(".component-name").first()).toHaveText("Track 1 stream");
  await ctx.close();
});

test("the dashboard refuses a form without a title or template and says why", async ({ browser }) => {
  const admin = await organiser(browser);
  await admin.getByRole("button", { name: "Post incident" }).click();
  await expect(admin.getByTestId("form-error")).toContainText("name");
});

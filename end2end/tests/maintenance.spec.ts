import { test, expect, Browser, Page } from "@playwright/test";

// Scheduled maintenance from the dashboard, with its window typed in the
// event's zone (the demo's Europe/Moscow, UTC+3 all year), moved, extended
// and completed; the public JSON says what attendees' tools see.

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

const MOSCOW_MS = 3 * 3600_000;
/// A `datetime-local` value in Moscow time for an instant.
const local = (ms: number) => new Date(ms + MOSCOW_MS).toISOString().slice(0, 16);
const minute = (ms: number) => Math.floor(ms / 60_000) * 60_000;

async function maintenance(page: Page, name: string) {
  const res = await page.request.get("/e/demo/api/v2/scheduled-maintenances.json");
  expect(res.status()).toBe(200);
  const doc = await res.json();
  return doc.scheduled_maintenances.find((m: any) => m.name === name);
}

test("a maintenance is scheduled in event time, extended and completed from the dashboard", async ({ browser }) => {
  const admin = await organiser(browser);
  const name = `Player upgrade ${Date.now()}`;
  const from = minute(Date.now()) + 2 * 86400_000;
  const until = from + 3600_000;
  const form = admin.getByTestId("open-incident");
  await form.getByLabel("Title").fill(name);
  await form.getByLabel("Message").fill("The player gets a new encoder.");
  await form.getByTestId("scheduled-for").fill(local(from));
  await form.getByTestId("scheduled-until").fill(local(until));
  await admin.getByRole("button", { name: "Post incident" }).click();

  const article = admin.locator("article.incident", { hasText: name });
  await expect(article).toBeVisible();
  await expect(article.getByTestId("ends")).toHaveValue(local(until));
  let m = await maintenance(admin, name);
  expect(m.status).toBe("scheduled");
  expect(Date.parse(m.scheduled_for)).toBe(from);
  expect(Date.parse(m.scheduled_until)).toBe(until);

  // An end before the start is refused, naming the field; nothing changes.
  await article.getByTestId("ends").fill(local(from - 3600_000));
  await article.getByLabel("Message").fill("Oops.");
  await article.getByRole("button", { name: "Post update" }).click();
  await expect(admin.getByTestId("form-error")).toContainText("scheduled_until");
  m = await maintenance(admin, name);
  expect(Date.parse(m.scheduled_until)).toBe(until);

  // It will overrun: forty-five minutes more, told with the update.
  const later = until + 45 * 60_000;
  const again = admin.locator("article.incident", { hasText: name });
  await again.getByTestId("ends").fill(local(later));
  await again.getByLabel("Message").fill("The encoder needs a firmware update first.");
  await again.getByRole("button", { name: "Post update" }).click();
  await expect(admin.locator("article.incident", { hasText: name }).getByTestId("ends")).toHaveValue(local(later));
  m = await maintenance(admin, name);
  expect(Date.parse(m.scheduled_until)).toBe(later);
  expect(m.incident_updates[0].body).toContain("firmware");

  // Done early.
  await admin.locator("article.incident", { hasText: name }).getByTestId("resolve").click();
  await expect(admin.locator("article.incident", { hasText: name })).toHaveCount(0);
  m = await maintenance(admin, name);
  expect(m.status).toBe("completed");
});

test("a scheduled maintenance is cancelled from the dashboard and leaves the status page", async ({ browser }) => {
  const admin = await organiser(browser);
  const name = `Night cutover ${Date.now()}`;
  const from = minute(Date.now()) + 3 * 3600_000;
  const form = admin.getByTestId("open-incident");
  await form.getByLabel("Title").fill(name);
  await form.getByLabel("Message").fill("The back office moves to the new cluster.");
  await form.getByTestId("scheduled-for").fill(local(from));
  await form.getByTestId("scheduled-until").fill(local(from + 3600_000));
  await admin.getByRole("button", { name: "Post incident" }).click();

  // Attendees see it coming: listed on the status page and in the banner.
  const visitor = await (await browser.newContext({ locale: "en-GB" })).newPage();
  await visitor.goto("/e/demo/status");
  // The live stream must be connected before the cancel for the page to
  // follow it without a reload (the wasm starts in seconds on a busy machine).
  await expect(visitor.getByTestId("live-state")).toHaveAttribute("data-state", "live", { timeout: 20_000 });
  const upcoming = visitor.locator('section[aria-labelledby="h-maint"] article.incident', { hasText: name });
  await expect(upcoming).toBeVisible();
  await expect(upcoming.getByTestId("incident-status")).toHaveText("Scheduled");

  const article = admin.locator("article.incident", { hasText: name });
  await article.getByTestId("cancel-reason").fill("Postponed: the new cluster is not ready.");
  await article.getByTestId("cancel-maintenance").click();
  await expect(admin.locator("article.incident", { hasText: name })).toHaveCount(0);
  await expect(admin.getByTestId("form-error")).toHaveCount(0);

  // The public JSON keeps Statuspage's vocabulary: completed, not upcoming.
  const m = await maintenance(admin, name);
  expect(m.status).toBe("completed");
  expect(m.incident_updates[0].body).toContain("Postponed");
  const up = await (await admin.request.get("/e/demo/api/v2/scheduled-maintenances/upcoming.json")).json();
  expect(up.scheduled_maintenances.map((x: any) => x.name)).not.toContain(name);

  // The status page no longer lists it as upcoming (live, without a
  // reload); a fresh load shows it in the history as cancelled.
  await expect(visitor.locator('section[aria-labelledby="h-maint"]', { hasText: name })).toHaveCount(0);
  await expect(
    visitor.locator('section[aria-labelledby="h-past"] article.incident', { hasText: name }).getByTestId("incident-status"),
  ).toHaveText("Cancelled");
  // (Another URL: the first load may still be fresh in the browser's cache.)
  await visitor.goto("/e/demo/status?lang=en");
  await expect(visitor.locator('section[aria-labelledby="h-maint"]', { hasText: name })).toHaveCount(0);
  const past = visitor.locator('section[aria-labelledby="h-past"] article.incident', { hasText: name });
  await expect(past.getByTestId("incident-status")).toHaveText("Cancelled");
  await expect(past).toContainText("Postponed: the new cluster is not ready.");
  await visitor.goto("/e/demo");
  await expect(visitor.locator("#live-banner")).not.toContainText(name);
});

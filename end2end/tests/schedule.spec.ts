import { test, expect, Page } from "@playwright/test";

// The demo conference (serve.sh loads it on 2026-11-23, Europe/Moscow, UTC+3).
const EVENT = "/e/demo";

async function hydrated(page: Page) {
  // The zone toggle is hidden in the server HTML and shown by its island.
  await expect(page.getByTestId("zone-toggle")).toBeVisible();
}

test("the schedule renders the demo conference without JavaScript", async ({ browser }) => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, locale: "en-GB" });
  const page = await ctx.newPage();
  const res = await page.goto(EVENT);
  expect(res?.status()).toBe(200);
  await expect(page.locator("h1")).toHaveText("Marquee Demo Conference");
  await expect(page.locator(".track-head")).toHaveText(["Track 1", "Track 2", "Track 3", "Track 4"]);
  await expect(page.locator("article.slot")).toHaveCount(24);
  const keynote = page.locator("article.slot.kind-keynote");
  await expect(keynote).toContainText("Keeping the show on when everything is on fire");
  await expect(keynote).toContainText("17:00");
  await expect(keynote).toContainText("Anna Volkova");
  await expect(page.getByText("Times in Europe/Moscow (+03:00)")).toBeVisible();
  // Without JS the toggle stays hidden rather than being a dead button.
  await expect(page.getByTestId("zone-toggle")).toBeHidden();
  await ctx.close();
});

test("a session page shows its details and links back", async ({ page }) => {
  await page.goto(EVENT);
  await page.locator("article.slot.kind-keynote a").click();
  await expect(page).toHaveURL(/\/e\/demo\/talk\/[0-9a-f-]{36}$/);
  await expect(page.locator("h1")).toHaveText("Keeping the show on when everything is on fire");
  await expect(page.locator(".abstract strong")).toHaveText("Keeping the show on when everything is on fire.");
  await page.getByRole("link", { name: /Back to the schedule/ }).click();
  await expect(page).toHaveURL(new RegExp(`${EVENT}$`));
});

test("unknown events get a 404 page", async ({ page }) => {
  const res = await page.goto("/e/no-such-event");
  expect(res?.status()).toBe(404);
  await expect(page.locator("h1")).toHaveText("Not found");
});

test("the time-zone toggle switches to the viewer's zone after hydration and remembers it", async ({ browser }) => {
  const ctx = await browser.newContext({ timezoneId: "America/New_York", locale: "en-US" });
  const page = await ctx.newPage();
  await page.goto(EVENT);
  await hydrated(page);
  const keynoteTime = page.locator("article.slot.kind-keynote .slot-time time").first();
  await expect(keynoteTime).toHaveText("17:00");
  await page.getByTestId("zone-toggle").click();
  // 17:00 in Moscow (UTC+3) is 09:00 in New York (UTC-5) in November.
  await expect(keynoteTime).toHaveText("09:00");
  await expect(page.getByTestId("zone-label")).toHaveText("Your time (America/New_York)");
  await expect(page.getByTestId("zone-toggle")).toHaveAttribute("aria-pressed", "true");
  await page.reload();
  await hydrated(page);
  await expect(keynoteTime).toHaveText("09:00");
  await page.getByTestId("zone-toggle").click();
  await expect(keynoteTime).toHaveText("17:00");
  await ctx.close();
});

test("the language follows Accept-Language and the switcher changes it", async ({ browser }) => {
  const ctx = await browser.newContext({ locale: "fr-FR" });
  const page = await ctx.newPage();
  await page.goto(EVENT);
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  await expect(page.getByRole("link", { name: "Programme", exact: true })).toBeVisible();
  await hydrated(page);
  // After hydration, choosing a language applies it at once (no button).
  await expect(page.locator(".lang-apply")).toBeHidden();
  await page.locator("#lang-select").selectOption("ru");
  await expect(page.locator("html")).toHaveAttribute("lang", "ru");
  await expect(page.getByRole("link", { name: "Расписание", exact: true })).toBeVisible();
  await expect(page.getByText("Время: Europe/Moscow (+03:00)")).toBeVisible();
  // The choice sticks across pages through a cookie.
  await page.goto("/login");
  await expect(page.locator("h1")).toHaveText("Вход для организаторов");
  await expect(page.locator(".lang-apply")).toBeHidden();
  await page.locator("#lang-select").selectOption("zh");
  await expect(page.locator("h1")).toHaveText("组织者登录");
  await ctx.close();
});

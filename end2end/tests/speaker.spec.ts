import { test, expect } from "@playwright/test";
import { auth } from "./support";

// The demo (end2end/serve.sh): on track 2 the first talk is at 17:00 Moscow.
const FIRST_TALK = "Low-latency streaming with SRT and WebRTC";

test("a speaker confirms a moved slot from their link; the organiser's board shows it without reload", async ({ browser, request }) => {
  const admin = await (await browser.newContext({ locale: "en-GB" })).newPage();
  // Who speaks first on track 2, as the schedule shows it.
  await admin.goto("/e/demo");
  const slot = admin.locator("article.slot", { hasText: FIRST_TALK });
  const name = (await slot.locator(".slot-speakers").innerText()).split(",")[0].trim();
  expect(name.length).toBeGreaterThan(0);

  await admin.goto("/login");
  await admin.getByLabel("Email").fill("organiser@example.org");
  await admin.getByLabel("Password").fill("organiser-password-1");
  await admin.getByRole("button", { name: "Sign in" }).click();
  // The speakers page issues a link and shows it once.
  await admin.goto("/admin/e/demo/speakers");
  const row = admin.locator("tr", { hasText: name });
  await row.getByRole("button", { name: "Issue a new link" }).click();
  const link = await admin.locator("tr", { hasText: name }).locator(".fresh-link input").inputValue();
  expect(link).toMatch(/\/s\/sp_[0-9a-f]{64}$/);
  await admin.reload();
  await expect(admin.locator("tr", { hasText: name }).locator(".fresh-link")).toHaveCount(0);

  const shifted = await request.post("/api/v1/events/demo/shifts", {
    headers: auth(),
    data: { tracks: ["track-2"], from: "17:00", date: "2026-11-23", by_minutes: 20, reason: "Speaker's train late" },
  });
  expect(shifted.status()).toBe(201);
  const shift = (await shifted.json()).shift_id;

  // The board lists the speaker, unanswered; it stays open.
  await admin.goto(`/admin/e/demo/shifts/${shift}`);
  await expect(admin.getByTestId("live-state")).toHaveAttribute("data-state", "live", {
    // Connecting waits for the wasm to start (seconds for the debug build on a busy
    // machine); what these tests time is the update after that.
    timeout: 20_000,
  });
  const onBoard = admin.locator("tr[data-speaker]", { hasText: name });
  await expect(onBoard).toHaveAttribute("data-answer", "none");
  await admin.evaluate(() => ((window as any).__notReloaded = true));

  // The speaker opens their link (no sign-in) and confirms.
  const speaker = await (await browser.newContext({ locale: "en-GB" })).newPage();
  await speaker.goto(new URL(link).pathname);
  const ask = speaker.locator(`section[data-shift="${shift}"]`);
  await expect(ask).toContainText("Can you make it?");
  await ask.getByRole("button", { name: "I can make it" }).click();
  await expect(speaker.locator(`section[data-shift="${shift}"] .answer`)).toHaveAttribute("data-answer", "confirmed");

  await expect(onBoard).toHaveAttribute("data-answer", "confirmed", { timeout: 2000 });
  await expect(admin.getByTestId("board-counts")).toContainText("1 confirmed");
  expect(await admin.evaluate(() => (window as any).__notReloaded)).toBe(true);

  // A wrong token opens nothing.
  expect((await request.get("/s/sp_" + "0".repeat(64))).status()).toBe(404);
  const reverted = await request.post(`/api/v1/events/demo/shifts/${shift}/revert`, { headers: auth(), data: {} });
  expect(reverted.status()).toBe(201);
});

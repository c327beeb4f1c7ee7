import { test, expect } from "@playwright/test";

// The demo (end2end/serve.sh): "Postmortems without blame" runs 17:50–18:30
// on track 1. Other specs expect it there, so this one undoes what it does.
test("an organiser moves one talk from the admin page and cancels another; the attendee's open schedule follows without reload", async ({ browser }) => {
  const visitor = await (await browser.newContext({ locale: "en-GB" })).newPage();
  await visitor.goto("/e/demo");
  await expect(visitor.getByTestId("live-state")).toHaveAttribute("data-state", "live", { timeout: 20_000 });
  await visitor.evaluate(() => ((window as any).__notReloaded = true));
  const postmortems = visitor.locator("article.slot", { hasText: "Postmortems without blame" });
  await expect(postmortems.locator(".slot-time")).toContainText("17:50");

  const admin = await (await browser.newContext({ locale: "en-GB" })).newPage();
  await admin.goto("/login");
  await admin.getByLabel("Email").fill("organiser@example.org");
  await admin.getByLabel("Password").fill("organiser-password-1");
  await admin.getByRole("button", { name: "Sign in" }).click();
  await admin.goto("/admin/e/demo");
  await admin.getByTestId("replan-link").click();
  await expect(admin).toHaveURL(/\/admin\/e\/demo\/talks$/);

  // Move: a new time and track on the talk's row, then the preview (a GET: no JS needed).
  const row = admin.locator("tr", { hasText: "Postmortems without blame" });
  await row.locator('input[name="start"]').fill("20:10");
  await row.locator('select[name="track"]').selectOption("track-4");
  await row.getByTestId("preview-move").click();
  const preview = admin.getByTestId("change-preview");
  await expect(preview).toContainText("Postmortems without blame");
  await expect(preview).toContainText("Track 4 20:10–20:50");
  // Nothing has moved yet for the attendee.
  await expect(postmortems.locator(".slot-time")).toContainText("17:50");
  await admin.locator("#reason").fill("Speaker's train is late");
  await admin.getByTestId("apply-change").click();
  await expect(postmortems.locator(".slot-time")).toContainText("20:10");

  // Cancel another talk: it stays on the schedule, marked.
  const cancelRow = admin.locator("tr", { hasText: "Designing schedules people can read on a phone" });
  await cancelRow.getByTestId("cancel").click();
  await expect(admin.getByTestId("change-preview")).toContainText("Cancelled");
  await admin.locator("#reason").fill("Speaker ill");
  await admin.getByTestId("apply-change").click();
  const cancelled = visitor.locator("article.slot", { hasText: "Designing schedules people can read on a phone" });
  await expect(cancelled).toHaveClass(/is-cancelled/);
  await expect(cancelled).toContainText("Cancelled");
  expect(await visitor.evaluate(() => (window as any).__notReloaded)).toBe(true);

  // Undo both from the shift history, newest first.
  await admin.goto("/admin/e/demo/shift");
  await admin.getByTestId("undo").first().click();
  await expect(cancelled).not.toHaveClass(/is-cancelled/);
  await admin.getByTestId("undo").first().click();
  await expect(postmortems.locator(".slot-time")).toContainText("17:50");
});

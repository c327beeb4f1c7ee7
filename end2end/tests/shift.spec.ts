import { test, expect } from "@playwright/test";

test("an organiser restarts all tracks at 18:15; the attendee's open schedule shows was → now without reload", async ({ browser }) => {
  // The attendee has the schedule open (and its live link up).
  const visitor = await (await browser.newContext({ locale: "en-GB" })).newPage();
  await visitor.goto("/e/demo");
  await expect(visitor.getByTestId("live-state")).toHaveAttribute("data-state", "live", {
    // Connecting waits for the wasm to start (seconds for the debug build on a busy
    // machine); what these tests time is the update after that.
    timeout: 20_000,
  });
  await visitor.evaluate(() => ((window as any).__notReloaded = true));
  // Other specs may have shifted and reverted already: count from here.
  const version = Number(/Schedule version (\d+)/.exec(await visitor.locator("#live-version").innerText())![1]);
  const postmortems = visitor.locator("article.slot", { hasText: "Postmortems without blame" });
  await expect(postmortems.locator(".slot-time")).toContainText("17:50");

  // The organiser previews "all tracks, from 17:25, restart at 18:15".
  const admin = await (await browser.newContext({ locale: "en-GB" })).newPage();
  await admin.goto("/login");
  await admin.getByLabel("Email").fill("organiser@example.org");
  await admin.getByLabel("Password").fill("organiser-password-1");
  await admin.getByRole("button", { name: "Sign in" }).click();
  await admin.goto("/admin/e/demo/shift");
  await admin.getByLabel("All tracks").check();
  await admin.locator("#from").fill("17:25");
  await admin.locator("#to").fill("18:15");
  await admin.getByTestId("preview").click();
  const preview = admin.getByTestId("shift-preview");
  await expect(preview).toContainText("23 sessions move");
  // The talks running at 17:25 are interrupted and restart at 18:15.
  await expect(admin.getByTestId("interrupted")).toContainText("restarts at 18:15");
  await expect(preview).toContainText("Postmortems without blame · 17:50 → 18:15");
  await expect(preview.locator("article.slot.is-moved").first()).toBeVisible();
  await expect(admin.getByTestId("conflicts")).toContainText(/after|end/i);
  // Nothing has moved yet for the attendee.
  await expect(postmortems.locator(".slot-time")).not.toContainText("18:15");

  await admin.locator("#reason").fill("Player outage");
  await admin.getByTestId("apply").click();
  await expect(admin.locator("#shift-history")).toContainText("Player outage");

  await expect(postmortems.locator(".slot-time")).toContainText("18:15");
  await expect(postmortems.getByTestId("was")).toHaveText("was 17:50 →");
  await expect(visitor.locator("#live-version")).toContainText(`Schedule version ${version + 1}`);
  expect(await visitor.evaluate(() => (window as any).__notReloaded)).toBe(true);
  // Times that arrived live still switch zones (enhance.js binds swapped-in regions).
  await visitor.getByTestId("zone-toggle").click();
  await expect(visitor.getByTestId("zone-label")).toContainText("Your time");

  // Undo brings everything back, again live.
  await admin.getByTestId("undo").first().click();
  await expect(postmortems.getByTestId("was")).toHaveCount(0);
  await visitor.getByTestId("zone-toggle").click();
  await expect(postmortems.locator(".slot-time")).toContainText("17:50");
});

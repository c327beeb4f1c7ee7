import { test, expect, Page } from "@playwright/test";

// An organiser without a mouse: signs in, opens an incident from the
// dashboard, shifts a track from the shift page and undoes it, with Tab,
// Shift+Tab, Enter, Space and typing only (no click() in this file). Every
// element focus passes on the way must show where it is.
//
// The demo (end2end/serve.sh): on track 4, "Rust on the server and in the
// browser" runs 18:40–19:20 Moscow time.

const TALK = "Rust on the server and in the browser";

/** How the focused element shows its focus, or "" when it does not. */
async function focusRing(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "";
    const s = getComputedStyle(el);
    if (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) return `outline ${s.outlineWidth} ${s.outlineStyle}`;
    if (s.boxShadow !== "none") return `box-shadow ${s.boxShadow}`;
    return "";
  });
}

/**
 * Presses Tab (or Shift+Tab) until the focus is on `selector`, checking at
 * each stop that the focused element shows a focus ring.
 */
async function tabTo(page: Page, selector: string, key: "Tab" | "Shift+Tab" = "Tab") {
  for (let presses = 0; presses < 150; presses++) {
    await page.keyboard.press(key);
    const here = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return "nothing";
      const name = (el.innerText || el.getAttribute("name") || "").slice(0, 40);
      return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} “${name}” (outline ${getComputedStyle(el).outlineStyle})`;
    });
    expect(await focusRing(page), `focus ring on ${here}`).not.toBe("");
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
  }
  throw new Error(`${key} never reached ${selector}`);
}

/** Presses Enter on the focused control and waits for the page it loads. */
async function enterAndLoad(page: Page, key = "Enter") {
  await Promise.all([page.waitForEvent("load"), page.keyboard.press(key)]);
}

test("an organiser opens an incident and shifts a track with the keyboard alone", async ({ browser }) => {
  const page = await (await browser.newContext({ locale: "en-GB" })).newPage();

  // Sign in: the skip link comes first, then the header, then the form.
  await page.goto("/login");
  await tabTo(page, "a.skip-link");
  await expect(page.locator("a.skip-link")).toBeInViewport();
  await tabTo(page, "#email");
  await page.keyboard.type("organiser@example.org");
  await tabTo(page, "#password");
  await page.keyboard.type("organiser-password-1");
  await enterAndLoad(page);
  await expect(page).toHaveURL(/\/admin$/);

  // Into the event's dashboard by its link.
  await tabTo(page, 'a.button[href="/admin/e/demo"]');
  await enterAndLoad(page);
  await expect(page).toHaveURL(/\/admin\/e\/demo$/);

  // Open an incident: name, message, all streams, post.
  await tabTo(page, "#name");
  await page.keyboard.type("Keyboard-only outage");
  await tabTo(page, "#body");
  await page.keyboard.type("Typed without a mouse.");
  await tabTo(page, 'input[name="components"][value="all-streams"]');
  await page.keyboard.press("Space");
  await expect(page.locator('input[name="components"][value="all-streams"]')).toBeChecked();
  await tabTo(page, 'form[data-testid="open-incident"] button[type="submit"]');
  await enterAndLoad(page);
  await expect(page.locator("#admin-live")).toContainText("Keyboard-only outage");

  const visitor = await (await browser.newContext({ locale: "en-GB" })).newPage();
  await visitor.goto("/e/demo/status");
  await expect(visitor.locator("#live-banner")).toContainText("Keyboard-only outage");
  await expect(visitor.getByTestId("overall")).not.toContainText("All Systems Operational");
  // The visitor's window took the focus; give it back to the organiser's.
  await page.bringToFront();

  // Resolve it again (the other specs expect a quiet event).
  await tabTo(page, '[data-testid="resolve"]');
  await enterAndLoad(page, "Space");
  await expect(page.locator("#admin-live")).not.toContainText("Keyboard-only outage");

  // The shift page, by the dashboard's link.
  await tabTo(page, 'a.button[href="/admin/e/demo/shift"]');
  await enterAndLoad(page);
  await tabTo(page, 'input[name="tracks"][value="track-4"]');
  await page.keyboard.press("Space");
  await tabTo(page, "#from");
  await page.keyboard.type("1840");
  await expect(page.locator("#from")).toHaveValue("18:40");
  await tabTo(page, '[data-testid="by-15"]');
  await enterAndLoad(page);
  const preview = page.getByTestId("shift-preview");
  await expect(preview).toContainText(`${TALK} · 18:40 → 18:55`);

  await tabTo(page, "#reason");
  await page.keyboard.type("Keyboard-only shift");
  await tabTo(page, '[data-testid="apply"]');
  await enterAndLoad(page);
  await expect(page.locator("#shift-history")).toContainText("Keyboard-only shift");

  await visitor.goto("/e/demo");
  const talk = visitor.locator("article.slot", { hasText: TALK });
  await expect(talk.locator(".slot-time")).toContainText("18:55");
  await expect(talk.getByTestId("was")).toHaveText("was 18:40 →");
  await page.bringToFront();

  // Undo sits at the end of the page: back from the start with Shift+Tab.
  const shift = await page.locator("#shift-history li", { hasText: "Keyboard-only shift" }).getAttribute("data-shift");
  await tabTo(page, `#shift-history li[data-shift="${shift}"] [data-testid="undo"]`, "Shift+Tab");
  await enterAndLoad(page);
  await visitor.reload();
  await expect(talk.getByTestId("was")).toHaveCount(0);
  await expect(talk.locator(".slot-time")).toContainText("18:40");
});

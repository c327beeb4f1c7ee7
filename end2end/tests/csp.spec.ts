import { test, expect, Page } from "@playwright/test";

// Every HTML page carries a Content-Security-Policy (script hashes, no
// 'unsafe-inline' for scripts). A real browser must still run each kind of
// page's scripts: `enhance.js` on most, the islands loader and its wasm on
// the countdown screens, and report no violation.

async function watchViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to/i.test(text)) seen.push(text);
  });
  await page.addInitScript(() => {
    (window as any).__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as any).__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return seen;
}

async function expectHydratedWithoutViolations(page: Page, seen: string[]) {
  if (/\/screen(\/|$)/.test(new URL(page.url()).pathname)) {
    // The loader imported the module and instantiated the wasm.
    await expect.poll(() => page.evaluate(() => typeof (window as any).__hydrateIsland)).toBe("function");
  } else {
    // enhance.js ran to its end.
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.js)).toBe("on");
  }
  const violations = await page.evaluate(() => (window as any).__cspViolations as string[]);
  expect(violations).toEqual([]);
  expect(seen).toEqual([]);
}

for (const path of ["/e/demo", "/e/demo/status", "/e/demo/screen/track-1", "/e/demo/screen", "/e/demo/changes", "/login"]) {
  test(`${path} hydrates under its Content-Security-Policy`, async ({ page }) => {
    const seen = await watchViolations(page);
    const res = await page.goto(path);
    expect(res?.status()).toBe(200);
    const csp = res?.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval' 'sha256-");
    expect(res?.headers()["x-content-type-options"]).toBe("nosniff");
    if (path === "/login") expect(csp).toContain("frame-ancestors 'none'");
    else expect(csp).not.toContain("frame-ancestors");
    await expectHydratedWithoutViolations(page, seen);
  });
}

test("the schedule's enhancements work under the policy", async ({ page }) => {
  const seen = await watchViolations(page);
  await page.goto("/e/demo");
  // Hidden in the server HTML, shown by enhance.js.
  await expect(page.getByTestId("zone-toggle")).toBeVisible();
  await expectHydratedWithoutViolations(page, seen);
});

test("the organiser's dashboard hydrates under the policy", async ({ page }) => {
  const seen = await watchViolations(page);
  await page.goto("/login");
  await page.getByLabel("Email").fill("organiser@example.org");
  await page.getByLabel("Password").fill("organiser-password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await page.goto("/admin/e/demo");
  const res = await page.reload();
  expect(res?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  await expectHydratedWithoutViolations(page, seen);
});

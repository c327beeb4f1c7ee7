import { test, expect } from "@playwright/test";

test("the organiser area needs a login", async ({ page }) => {
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/login$/);
});

test("a wrong password is refused", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("organiser@example.org");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("login-error")).toHaveText("Wrong email or password.");
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === "marquee_session")).toBeUndefined();
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/login$/);
});

test("an organiser signs in, sees events and tracks, and signs out", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("Organiser@Example.org");
  await page.getByLabel("Password").fill("organiser-password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByTestId("signed-in-as")).toHaveText("Signed in as organiser@example.org");
  const demo = page.locator('section[data-event="demo"]');
  await expect(demo.locator("h2")).toHaveText("Marquee Demo Conference");
  await expect(demo.locator("tbody tr")).toHaveCount(4);
  await expect(demo.locator("tbody tr").nth(1)).toContainText("track-2");
  const session = (await page.context().cookies()).find((c) => c.name === "marquee_session");
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Lax");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/login$/);
});

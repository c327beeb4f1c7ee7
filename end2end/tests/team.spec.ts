import { test, expect, Browser, Page } from "@playwright/test";
import { readFileSync } from "node:fs";

// A team by invitation: an owner makes a link, someone new joins with it
// and gets exactly their role (anything more is a 403 with a clear
// message), a used link says so, the audit log shows who did what, and
// the post-event report downloads as HTML and Markdown.

const PASSWORD = "organiser-password-1";

async function signIn(browser: Browser, email: string, password = PASSWORD): Promise<Page> {
  const ctx = await browser.newContext({ locale: "en-GB" });
  const page = await ctx.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  return page;
}

async function invite(owner: Page, role: string, note: string): Promise<string> {
  await owner.goto("/admin/e/demo/team");
  const form = owner.getByTestId("invite-form");
  await form.getByLabel("Role").selectOption(role);
  await form.getByLabel(/^Note/).fill(note);
  await form.getByRole("button", { name: "Create invitation link" }).click();
  await expect(owner).toHaveURL(/\/admin\/e\/demo\/team$/);
  const link = await owner.locator("#invite-url").inputValue();
  expect(link).toMatch(/\/invite\/inv_[0-9a-f]{64}$/);
  return new URL(link).pathname;
}

async function join(browser: Browser, path: string, email: string): Promise<Page> {
  const ctx = await browser.newContext({ locale: "en-GB" });
  const page = await ctx.newPage();
  await page.goto(path);
  await expect(page.getByTestId("invite-offer")).toContainText("Demo");
  const form = page.getByTestId("invite-signup");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel(/^Password/).fill(PASSWORD);
  await form.getByRole("button", { name: "Create account and join" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  return page;
}

test("an invited communicator and viewer get exactly their roles; the audit log shows it", async ({ browser }) => {
  const owner = await signIn(browser, "organiser@example.org");
  const stamp = Date.now();
  const commPath = await invite(owner, "communicator", `comm ${stamp}`);
  const viewerPath = await invite(owner, "viewer", `viewer ${stamp}`);

  const comm = await join(browser, commPath, `comm-${stamp}@example.org`);
  // The link worked once; now it says it is used.
  const again = await comm.context().newPage();
  const res = await again.goto(commPath);
  expect(res?.status()).toBe(409);
  await expect(again.getByTestId("invite-refused")).toContainText("already been used");

  // A communicator may open incidents but not manage the team: a 403 page
  // that says why.
  await comm.goto("/admin/e/demo");
  await expect(comm.getByTestId("open-incident")).toBeVisible();
  // Nor shift the schedule (the scheduler's part): 403, nothing moves.
  const commCsrf = await comm.locator("input[name=csrf]").first().inputValue();
  const before = await (await comm.request.get("/e/demo/schedule.json")).text();
  const shift = await comm.request.post("/admin/e/demo/shift", {
    form: { csrf: commCsrf, tracks: "all", from: "17:00", by: "15", reason: "not mine to move" },
  });
  expect(shift.status()).toBe(403);
  expect(await shift.text()).toContain("communicator may not do schedule");
  expect(await (await comm.request.get("/e/demo/schedule.json")).text()).toBe(before);
  const denied = await comm.goto("/admin/e/demo/audit");
  expect(denied?.status()).toBe(403);
  await expect(comm.getByTestId("forbidden")).toContainText("communicator may not do members");

  // A viewer sees the team but no forms; a write they try anyway is a 403
  // naming the rule.
  const viewer = await join(browser, viewerPath, `viewer-${stamp}@example.org`);
  await viewer.goto("/admin/e/demo/team");
  await expect(viewer.getByTestId("members")).toContainText(`viewer-${stamp}@example.org`);
  await expect(viewer.getByTestId("invite-form")).toHaveCount(0);
  await viewer.goto("/admin/e/demo");
  await expect(viewer.getByTestId("open-incident")).toHaveCount(0);
  const csrf = await viewer.locator("input[name=csrf]").first().inputValue();
  const write = await viewer.request.post("/admin/e/demo/incidents", { form: { csrf, template: "delayed" } });
  expect(write.status()).toBe(403);
  expect(await write.text()).toContain("viewer may not do incidents");

  // The owner sees both joins and the refused write in the audit log.
  await owner.goto("/admin/e/demo/audit");
  const log = owner.getByTestId("audit");
  await expect(log.locator("tr[data-kind=invite]", { hasText: `comm-${stamp}@example.org` })).toBeVisible();
  await expect(log.locator("tr[data-kind=invite]", { hasText: `viewer-${stamp}@example.org` })).toBeVisible();
  await expect(log.locator("tr[data-kind=incidents][data-ok=false]", { hasText: `viewer-${stamp}@example.org` })).toContainText("403");
  await expect(log.locator("tr[data-kind='team.invitations']").first()).toContainText("organiser@example.org");
});

test("the post-event report downloads as HTML and Markdown", async ({ browser }) => {
  const owner = await signIn(browser, "organiser@example.org");
  await owner.goto("/admin/e/demo/team");
  for (const [testid, name, marker] of [
    ["report-html", "demo-report.html", "<h2>Time to inform</h2>"],
    ["report-md", "demo-report.md", "## Time to inform"],
  ]) {
    const [download] = await Promise.all([owner.waitForEvent("download"), owner.getByTestId(testid).click()]);
    expect(download.suggestedFilename()).toBe(name);
    const text = readFileSync((await download.path())!, "utf8");
    expect(text).toContain(marker);
    expect(text).toContain("Post-event report");
  }
});

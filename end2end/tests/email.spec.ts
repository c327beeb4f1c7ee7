import { test, expect } from "@playwright/test";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

// serve.sh runs a loopback SMTP server that writes each message, parsed,
// as JSON into .tmp/mail.
const MAIL_DIR = join(__dirname, "..", ".tmp", "mail");

function mailsTo(address: string): any[] {
  if (!existsSync(MAIL_DIR)) return [];
  return readdirSync(MAIL_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(MAIL_DIR, f), "utf8")))
    .filter((m) => m.rcpt_tos.includes(address));
}

async function waitForMail(address: string, n: number): Promise<any[]> {
  for (let i = 0; i < 100; i++) {
    const found = mailsTo(address);
    if (found.length >= n) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail #${n} to ${address}`);
}

test("subscribe by e-mail without JavaScript, confirm, change and unsubscribe", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: "en-GB" });
  const page = await context.newPage();
  const address = `e2e-${Date.now()}@example.org`;

  await page.goto("/e/demo/status");
  const panel = page.getByRole("region", { name: "Get updates" });
  await expect(panel).toBeVisible();
  await expect(panel.getByRole("link", { name: "Incidents (Atom)" })).toHaveAttribute("href", "/e/demo/incidents.atom");
  await panel.getByLabel("E-mail address").fill(address);
  await panel.getByRole("button", { name: "Send me e-mails" }).click();
  await expect(page.getByRole("heading", { name: "Check your inbox" })).toBeVisible();
  // The address is shown nowhere.
  expect(await page.content()).not.toContain(address);

  const [confirmation] = await waitForMail(address, 1);
  const link = /https?:\/\/\S+\/email\/confirm\/\S+/.exec(confirmation.text)![0];
  const confirmPath = new URL(link).pathname;

  // A forged link changes nothing.
  await page.goto(confirmPath.replace(/mqc_[0-9a-f]+/, "mqc_" + "0".repeat(64)));
  await expect(page.getByRole("alert")).toContainText("does not work");

  await page.goto(confirmPath);
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByRole("status")).toContainText("Subscribed");
  const manage = new URL(page.url()).pathname;
  expect(manage).toMatch(/^\/email\/manage\/mqe_[0-9a-f]{64}$/);

  // Reusing the confirmation link is refused.
  await page.goto(confirmPath);
  await expect(page.getByRole("alert")).toContainText("does not work");

  // Change: chosen tracks, French, Paris time.
  await page.goto(manage);
  await page.getByLabel("Only these tracks").check();
  await page.locator("input[name=track]").first().check();
  await page.getByLabel("Language").selectOption("fr");
  await page.getByLabel(/Time zone/).fill("Europe/Paris");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText("Enregistré");
  await expect(page.locator("input[name=track]").first()).toBeChecked();
  await expect(page.getByLabel(/Fuseau horaire/)).toHaveValue("Europe/Paris");

  // End it.
  await page.getByRole("button", { name: "Se désabonner" }).click();
  await expect(page.getByRole("status")).toContainText(/désabonné|unsubscribed/);
  await page.goto(manage);
  await expect(page.getByRole("alert")).toBeVisible();
  await context.close();
});

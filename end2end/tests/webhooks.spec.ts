import { test, expect, Browser, Page } from "@playwright/test";
import * as http from "node:http";
import { AddressInfo } from "node:net";

// Webhooks from the dashboard: an organiser adds one (no JavaScript
// needed: plain forms), sees a Standard Webhooks signing secret once, sends
// a test that a receiver on loopback gets, and reads the delivery log; a
// refused URL says why and adds nothing.

type Received = { path: string; body: string; headers: http.IncomingHttpHeaders };

function receiver(): Promise<{ url: string; got: Received[]; close: () => void }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push({ path: req.url ?? "", body, headers: req.headers });
      res.writeHead(req.url === "/down" ? 500 : 200, { "content-type": "text/plain" });
      res.end(req.url === "/down" ? "down for the test" : "ok");
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({ url: `http://127.0.0.1:${port}`, got, close: () => server.close() });
    }),
  );
}

async function organiser(browser: Browser): Promise<Page> {
  const ctx = await browser.newContext({ locale: "en-GB", javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill("organiser@example.org");
  await page.getByLabel("Password").fill("organiser-password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  return page;
}

test("an organiser adds a webhook on the dashboard, tests it and reads its delivery log", async ({ browser }) => {
  const rx = await receiver();
  try {
    const page = await organiser(browser);
    await page.goto("/admin/e/demo");
    await page.getByRole("link", { name: "Webhooks" }).first().click();
    await expect(page).toHaveURL(/\/admin\/e\/demo\/webhooks$/);
    await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();

    // Refused: not https and not this machine's switch's business.
    const form = page.getByTestId("webhook-add");
    const name = `Team chat ${Date.now()}`;
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("Format").selectOption("mattermost");
    await form.getByLabel("URL (https)").fill("http://chat.example/hooks/x");
    await form.getByRole("button", { name: "Add webhook" }).click();
    await expect(page.getByTestId("form-error")).toContainText("https");
    await expect(page.getByTestId("webhooks").getByText(name)).toHaveCount(0);

    // Added: a signed (standard) webhook shows its secret once.
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("Format").selectOption("standard");
    await form.getByLabel("URL (https)").fill(`${rx.url}/team`);
    await form.getByRole("button", { name: "Add webhook" }).click();
    const secret = page.getByTestId("webhook-secret").locator("input");
    await expect(secret).toHaveValue(/^whsec_/);
    const row = page.getByTestId("webhooks").locator("tr", { hasText: name });
    await expect(row).toContainText("standard");
    await expect(row.getByTestId("webhook-state")).toHaveText("on");
    await page.reload();
    await expect(page.getByTestId("webhook-secret")).toHaveCount(0);

    // A test message reaches the receiver, signed, and the log says so.
    await row.getByRole("button", { name: "Send test" }).click();
    await expect.poll(() => rx.got.filter((r) => r.path === "/team").length, { timeout: 10_000 }).toBe(1);
    const sent = rx.got.find((r) => r.path === "/team")!;
    expect(sent.headers["webhook-signature"]).toMatch(/^v1,/);
    expect(JSON.parse(sent.body).type).toBe("webhook.test");
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getByTestId("webhook-attempt").filter({ hasText: name }).count();
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    const attempt = page.getByTestId("webhook-attempt").filter({ hasText: name });
    await expect(attempt).toContainText("webhook.test");
    await expect(attempt).toContainText("HTTP 200");
    await expect(attempt).toContainText("sent");

    // Removed: gone from the list.
    await page.getByTestId("webhooks").locator("tr", { hasText: name }).getByRole("button", { name: "Remove" }).click();
    await expect(page.getByTestId("webhooks").getByText(name)).toHaveCount(0);
  } finally {
    rx.close();
  }
});

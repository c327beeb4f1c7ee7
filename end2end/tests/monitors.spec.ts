import { test, expect } from "@playwright/test";
import http from "node:http";
import type { AddressInfo } from "node:net";

// A monitor added on the dashboard against a real HTTP server on this
// machine (serve.sh sets MARQUEE_MONITOR_ALLOW_LOOPBACK): when the target
// fails, the component changes on an open public status page (live, by
// SSE, no reload), and the dashboard shows the failing check.

test("a monitor added on the dashboard flips its component on the open status page", async ({ browser }) => {
  let failing = false;
  const target = http.createServer((_req, res) => {
    res.writeHead(failing ? 503 : 200, { "content-type": "text/plain", connection: "close" });
    res.end(failing ? "down" : "ok");
  });
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  const port = (target.address() as AddressInfo).port;
  try {
    const ctx = await browser.newContext({ locale: "en-GB" });
    const admin = await ctx.newPage();
    await admin.goto("/login");
    await admin.getByLabel("Email").fill("organiser@example.org");
    await admin.getByLabel("Password").fill("organiser-password-1");
    await admin.getByRole("button", { name: "Sign in" }).click();
    await expect(admin).toHaveURL(/\/admin$/);
    await admin.goto("/admin/e/demo");
    await admin.getByTestId("monitors-link").click();
    await expect(admin).toHaveURL(/\/admin\/e\/demo\/monitors$/);

    // Bad input first: an interval under the minimum names its field and
    // stores nothing.
    const form = admin.getByTestId("monitor-form-new");
    await form.getByLabel("Component").selectOption({ label: "Track 2 stream" });
    await form.getByLabel("Name").fill("Track 2 player");
    await form.getByLabel("Kind").selectOption("http");
    await form.getByLabel("Target").fill(`http://127.0.0.1:${port}/health`);
    await form.getByLabel("Interval (seconds, at least 10)").fill("5");
    await form.getByRole("button", { name: "Save monitor" }).click();
    await expect(admin.getByTestId("form-error")).toContainText("interval_secs");
    await expect(admin.locator("article[data-monitor]")).toHaveCount(0);

    const status = await (await browser.newContext({ locale: "en-GB" })).newPage();
    await status.goto("/e/demo/status");
    const track2 = status.locator(".component", { hasText: "Track 2 stream" });
    await expect(track2).toHaveAttribute("data-status", "operational");

    // One failure out of one check trips it, to partial outage.
    failing = true;
    const again = admin.getByTestId("monitor-form-new");
    await again.getByLabel("Component").selectOption({ label: "Track 2 stream" });
    await again.getByLabel("Name").fill("Track 2 player");
    await again.getByLabel("Kind").selectOption("http");
    await again.getByLabel("Target").fill(`http://127.0.0.1:${port}/health`);
    await again.getByLabel("Interval (seconds, at least 10)").fill("10");
    await again.getByLabel("Failures (N)").fill("1");
    await again.getByLabel("Of the last (M)").fill("1");
    await again.getByLabel("Status when down").selectOption("partial_outage");
    await again.getByRole("button", { name: "Save monitor" }).click();
    await expect(admin.locator("article[data-monitor]")).toHaveCount(1);

    // The open status page changes by itself within a few seconds.
    await expect(track2).toHaveAttribute("data-status", "partial_outage", { timeout: 15_000 });
    await admin.reload();
    await expect(admin.getByTestId("monitor-state")).toHaveText("down");
    await expect(admin.getByTestId("monitor-last")).toContainText("status 503");

    // Removed, it stops checking: the specs after this one do not meet a
    // monitor probing a closed port.
    await admin.locator("article[data-monitor]").getByRole("button", { name: "Remove" }).click();
    await expect(admin.locator("article[data-monitor]")).toHaveCount(0);
    await admin.reload();
    await expect(admin.locator("article[data-monitor]")).toHaveCount(0);
  } finally {
    target.close();
  }
});

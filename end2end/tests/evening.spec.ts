import { test, expect, type Browser, type Locator, type Page } from "@playwright/test";
import { auth } from "./support";

// The whole evening of the stream outage on the demo (2026-11-23, Moscow),
// as issue 12 tells it: the player dies at 17:00, the talks are stopped at
// 17:27 (the talks running then are interrupted and restart from the
// beginning), a restart at 18:00 is proposed to the speakers, amended to
// 18:15, one speaker declines and their talk moves to the end of the day,
// the organiser publishes, then resolves the incident. At each step: what
// attendees, the track screen and the speakers see. The organiser's
// clicks, fields and page opens are counted and their time summed (waits
// for what other roles see are not; set-up the day before — links for
// speakers — is not).

const FIRST_TALK = "Low-latency streaming with SRT and WebRTC"; // track 2, 17:00, Dmitri
const DECLINING = "Accessible captions for live events"; // track 4, 17:00
const DAY_MS = Date.parse("2026-11-23T14:30:00.000Z"); // 17:30 in Moscow

/** The organiser's side: every action counted by kind, its time summed. */
class Organiser {
  counts = { click: 0, field: 0, open: 0 };
  ms = 0;
  constructor(readonly page: Page) {}
  get actions() {
    return this.counts.click + this.counts.field + this.counts.open;
  }
  async act(kind: "click" | "field" | "open", what: () => Promise<unknown>) {
    const t0 = Date.now();
    await what();
    this.ms += Date.now() - t0;
    this.counts[kind] += 1;
  }
  click(l: Locator) {
    return this.act("click", () => l.click());
  }
  fill(l: Locator, text: string) {
    return this.act("field", () => l.fill(text));
  }
  check(l: Locator) {
    return this.act("field", () => l.check());
  }
  select(l: Locator, value: string) {
    return this.act("field", () => l.selectOption(value));
  }
  open(path: string) {
    return this.act("open", () => this.page.goto(path));
  }
}

/** A track screen at 17:30 on the day, the server's time agreeing. */
async function screenAt(browser: Browser, path: string): Promise<Page> {
  const ctx = await browser.newContext({ locale: "en-GB", viewport: { width: 1920, height: 1080 } });
  const page = await ctx.newPage();
  await page.clock.install({ time: DAY_MS });
  await page.route("**/api/v1/time", async (route) => {
    const now = await page.evaluate(() => Date.now());
    await route.fulfill({ json: { now_ms: now }, headers: { "cache-control": "no-store" } });
  });
  await page.goto(path);
  return page;
}

async function boardLive(page: Page) {
  // Connecting waits for the wasm to start (seconds for the debug build).
  await expect(page.getByTestId("live-state")).toHaveAttribute("data-state", "live", { timeout: 20_000 });
}

async function speakerLink(admin: Page, talk: string): Promise<string> {
  await admin.goto("/e/demo");
  const name = (await admin.locator("article.slot", { hasText: talk }).locator(".slot-speakers").innerText())
    .split(",")[0]
    .trim();
  await admin.goto("/admin/e/demo/speakers");
  await admin.locator("tr", { hasText: name }).getByRole("button", { name: "Issue a new link" }).click();
  const link = await admin.locator("tr", { hasText: name }).locator(".fresh-link input").inputValue();
  return new URL(link).pathname;
}

test("the whole evening: incident, proposal, amendment, a decline re-planned, publish, resolve", async ({ browser, request }) => {
  test.setTimeout(120_000);
  const admin = await (await browser.newContext({ locale: "en-GB" })).newPage();
  await admin.goto("/login");
  await admin.getByLabel("Email").fill("organiser@example.org");
  await admin.getByLabel("Password").fill("organiser-password-1");
  await admin.getByRole("button", { name: "Sign in" }).click();
  await expect(admin).toHaveURL(/\/admin$/);
  // The day before: two speakers get their links.
  const dmitriLink = await speakerLink(admin, FIRST_TALK);
  const declinerLink = await speakerLink(admin, DECLINING);

  // An attendee has the schedule open; a screen shows track 2.
  const visitor = await (await browser.newContext({ locale: "en-GB" })).newPage();
  await visitor.goto("/e/demo");
  await expect(visitor.getByTestId("live-state")).toHaveAttribute("data-state", "live", { timeout: 20_000 });
  const first = visitor.locator("article.slot", { hasText: FIRST_TALK });
  await expect(first.locator(".slot-time")).toContainText("17:00");
  const changes = await (await request.get("/e/demo/changes")).text();
  const entriesBefore = (changes.match(/data-version=/g) ?? []).length;
  const screen = await screenAt(browser, "/e/demo/screen/track-2");
  await expect(screen.getByTestId("screen-title")).toHaveText(FIRST_TALK);

  const org = new Organiser(admin);

  // 17:00 — the player dies: one incident for all streams.
  await admin.goto("/admin/e/demo");
  await org.select(admin.locator("#template"), "stream_down");
  await org.check(admin.getByLabel("All streams"));
  await org.click(admin.getByRole("button", { name: "Post incident" }));
  await expect(visitor.locator("#live-banner")).toContainText("Streams unavailable", { timeout: 2000 });
  // The track's screen no longer says "Live now" over a dead stream.
  await expect(screen.getByTestId("screen-heading")).toHaveText("Paused — technical difficulties", { timeout: 5000 });
  await expect(screen.getByTestId("screen-note")).toContainText("Streams unavailable");

  // 17:27 — the talks are stopped; propose restarting every track at
  // 18:00 (speakers first). The talks running at 17:27 are interrupted:
  // they move too, and restart from the beginning.
  await org.open("/admin/e/demo/shift");
  await org.check(admin.getByLabel("All tracks"));
  await org.check(admin.getByLabel("Also move pinned sessions"));
  await org.fill(admin.locator("#from"), "17:27");
  await org.fill(admin.locator("#to"), "18:00");
  await org.click(admin.getByTestId("preview"));
  await expect(admin.getByTestId("shift-preview")).toContainText(`${FIRST_TALK} · 17:00 → 18:00`);
  const interrupted = admin.getByTestId("interrupted");
  await expect(interrupted).toContainText(`${FIRST_TALK} · restarts at 18:00`);
  await expect(interrupted).toContainText(`${DECLINING} · restarts at 18:00`);
  await org.fill(admin.locator("#reason"), "Player outage");
  await org.click(admin.getByTestId("propose"));
  await expect(admin).toHaveURL(/\/admin\/e\/demo\/proposals\/\d+$/);
  const boardUrl = admin.url();
  const proposal = boardUrl.split("/").pop()!;
  await expect(admin.getByTestId("proposal-state")).toHaveText("Asking speakers");
  // The board fills live (once its wasm is up: not the organiser's time).
  await boardLive(admin);

  // Attendees and screens see nothing of it yet.
  await expect(first.locator(".slot-time")).toContainText("17:00");
  await expect(first.getByTestId("was")).toHaveCount(0);
  await expect(screen.getByTestId("screen-times")).not.toContainText("18:");

  // Dmitri is asked on his page, and says yes — any time from 18:00.
  const dmitri = await (await browser.newContext({ locale: "en-GB" })).newPage();
  await dmitri.goto(dmitriLink);
  const ask = dmitri.locator(`section[data-proposal="${proposal}"]`);
  await expect(ask).toContainText("17:00 → 18:00");
  await ask.locator("summary").click();
  await ask.getByLabel("I can from").fill("18:00");
  await ask.getByRole("button", { name: "I can make it" }).click();
  await expect(dmitri.locator(`section[data-proposal="${proposal}"] .answer`)).toHaveAttribute("data-answer", "confirmed");
  const dmitriRow = admin.locator("tr[data-speaker]", { hasText: "Dmitri" });
  await expect(dmitriRow).toHaveAttribute("data-answer", "confirmed", { timeout: 5000 });

  // 17:50 — a new decision: 18:15. One more step of the same proposal,
  // its form filled in from the first: only the new time is typed.
  await org.click(admin.getByTestId("amend-shift"));
  await expect(admin.getByLabel("All tracks")).toBeChecked();
  await expect(admin.getByLabel("Also move pinned sessions")).toBeChecked();
  await expect(admin.locator("#from")).toHaveValue("17:27");
  await org.fill(admin.locator("#to"), "18:15");
  await org.click(admin.getByTestId("preview"));
  await org.fill(admin.locator("#reason"), "Restart at 18:15");
  await org.click(admin.getByTestId("propose"));
  await expect(admin).toHaveURL(boardUrl);
  await boardLive(admin);
  // Dmitri's "from 18:00" covers 18:15: not asked again.
  await expect(admin.locator("tr[data-speaker]", { hasText: "Dmitri" })).toHaveAttribute("data-answer", "confirmed");

  // The other speaker declines the new time.
  const decliner = await (await browser.newContext({ locale: "en-GB" })).newPage();
  await decliner.goto(declinerLink);
  const theirs = decliner.locator(`section[data-proposal="${proposal}"]`);
  await expect(theirs).toContainText("17:00 → 18:15");
  await theirs.locator("summary").click();
  await theirs.getByLabel("Why (optional)").fill("I have a train at 18:30");
  await theirs.getByRole("button", { name: "I cannot make it" }).click();
  const declined = admin.locator("tr[data-answer=declined]");
  await expect(declined).toContainText("I have a train", { timeout: 5000 });

  // Their talk moves to the end of the day: the board's move is prefilled.
  await org.click(declined.getByTestId("replan-move"));
  await expect(admin.getByTestId("change-preview")).toContainText(DECLINING);
  await org.fill(admin.locator("#reason"), "Speaker travels; last slot");
  await org.click(admin.getByTestId("propose-change"));
  await expect(admin).toHaveURL(boardUrl);
  await boardLive(admin);
  // Asked again about the new slot; this time they can.
  await decliner.reload();
  await decliner.locator(`section[data-proposal="${proposal}"]`).getByRole("button", { name: "I can make it" }).click();
  await expect(admin.locator("tr[data-answer=declined]")).toHaveCount(0, { timeout: 5000 });

  // Still nothing public.
  await expect(first.locator(".slot-time")).toContainText("17:00");

  // Publish: one change for attendees, live.
  await org.click(admin.getByTestId("publish"));
  await expect(admin).toHaveURL(/\/admin\/e\/demo\/shifts\/\d+$/);
  const shift = admin.url().split("/").pop()!;
  await expect(admin.locator("tr[data-speaker]", { hasText: "Dmitri" })).toHaveAttribute("data-answer", "confirmed");
  await expect(first.locator(".slot-time")).toContainText("18:15", { timeout: 2000 });
  await expect(first.getByTestId("was")).toHaveText("was 17:00 →");
  const captions = visitor.locator("article.slot", { hasText: DECLINING });
  // The declined talk is last in its room now (not at 18:15 with the rest).
  await expect(captions.locator(".slot-time")).toContainText(/was 17:00 →(2[0-3]):\d\d/);
  await expect(captions.locator(".slot-time")).not.toContainText("18:15");
  // The screen (still 17:3x, the incident open) counts down to the restart.
  await expect(screen.getByTestId("screen-heading")).toContainText("Delayed", { timeout: 5000 });
  await expect(screen.getByTestId("screen-times")).toContainText("18:15");
  await expect(screen.getByTestId("screen-title")).toHaveText(FIRST_TALK);
  const after = await (await request.get("/e/demo/changes")).text();
  expect((after.match(/data-version=/g) ?? []).length).toBe(entriesBefore + 1);
  // Dmitri's page shows the new time, no open question.
  await dmitri.reload();
  await expect(dmitri.locator(`section[data-proposal="${proposal}"]`)).toHaveCount(0);
  await expect(dmitri.locator("#live-speaker")).toContainText("18:15");

  // 18:15 — resolve.
  await org.open("/admin/e/demo");
  await org.click(admin.getByTestId("resolve"));
  await expect(visitor.locator("#live-banner")).toBeEmpty({ timeout: 2000 });
  await expect(screen.getByTestId("screen-heading")).toHaveText("Up next", { timeout: 5000 });
  await expect(screen.getByTestId("screen-times")).toContainText("18:15");

  const { click, field, open } = org.counts;
  console.log(
    `organiser: ${org.actions} actions (${click} clicks, ${field} fields typed or chosen, ${open} page opens), ` +
      `${(org.ms / 1000).toFixed(1)} s of interaction`,
  );
  expect(org.ms).toBeLessThan(60_000);

  // Leave the demo as the other specs expect it.
  const undo = await request.post(`/api/v1/events/demo/shifts/${shift}/revert`, { headers: auth(), data: {} });
  expect(undo.status()).toBe(201);
});

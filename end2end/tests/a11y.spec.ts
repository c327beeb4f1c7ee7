import { test, expect, Browser, BrowserContext, Page } from "@playwright/test";
import { auth } from "./support";
import { appendFileSync } from "node:fs";
import { join } from "node:path";

// axe-core (WCAG 2.0/2.1, A and AA) on every public and organiser page, in
// the light and the dark colour scheme: it must find nothing. The demo
// conference is the one end2end/serve.sh loads (2026-11-23, Europe/Moscow).
//
// A11Y_REPORT=file appends one JSON line per page and scheme (violations
// and the nodes they cover) instead of failing on the first: how the
// numbers in bench/README.md were counted.

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const SCHEMES = ["light", "dark"] as const;

type Violation = {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
};

/** One line per failing node: what a failure message needs to be acted on. */
function failureLines(violations: Violation[]): string[] {
  return violations.flatMap((v) =>
    v.nodes.map(
      (n) => `${v.id} [${v.impact}] ${JSON.stringify(n.target)}: ${(n.failureSummary ?? v.help).replace(/\s+/g, " ")}`,
    ),
  );
}

/** Waits for the page's scripts (`enhance.js`, or the screens' islands) to
 * run (what a visitor with JS sees), then runs axe. */
async function axe(page: Page): Promise<{ violations: Violation[]; incomplete: Violation[] }> {
  await expect
    .poll(() => page.evaluate(() => document.documentElement.dataset.js === "on" || typeof (window as any).__hydrateIsland === "function"), { timeout: 20_000 })
    .toBe(true);
  // Let the first effects (shown toggles, live marks) land.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.addScriptTag({ path: require.resolve("axe-core") });
  return page.evaluate(
    async (tags) => {
      const { violations, incomplete } = await (window as any).axe.run(document, { runOnly: { type: "tag", values: tags } });
      return { violations, incomplete };
    },
    TAGS,
  );
}

async function check(page: Page, name: string, scheme: string) {
  const { violations, incomplete } = await axe(page);
  const lines = failureLines(violations);
  if (process.env.A11Y_REPORT) {
    // "Incomplete": what axe could not decide (contrast over an image, say), for a person to look at.
    const review = failureLines(incomplete);
    appendFileSync(
      process.env.A11Y_REPORT,
      JSON.stringify({ page: name, scheme, rules: violations.length, nodes: lines.length, lines, review }) + "\n",
    );
    return;
  }
  expect(lines, `${name} (${scheme}): axe found ${violations.length} rule(s) violated`).toEqual([]);
}

/** A phone's window: the schedule is a list of cards there, not a grid. */
const PHONE = { width: 390, height: 844 };

async function context(browser: Browser, scheme: string, storageState?: string, viewport?: typeof PHONE): Promise<BrowserContext> {
  // The policy allows no inline script; axe is injected as one.
  return browser.newContext({ locale: "en-GB", bypassCSP: true, colorScheme: scheme as "light" | "dark", storageState, viewport });
}

const STATE = join(__dirname, "..", ".tmp", "a11y-organiser.json");
let sessionPath = "";
let speakerPath = "";
let shiftId = 0;

test.beforeAll(async ({ browser, request }) => {
  const ctx = await browser.newContext({ locale: "en-GB" });
  const page = await ctx.newPage();
  await page.goto("/e/demo");
  sessionPath = (await page.locator("article.slot.kind-keynote a").first().getAttribute("href"))!;
  await page.goto("/login");
  await page.getByLabel("Email").fill("organiser@example.org");
  await page.getByLabel("Password").fill("organiser-password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await ctx.storageState({ path: STATE });
  // A speaker's page needs a link: issue one as the speakers page does.
  await page.goto("/admin/e/demo/speakers");
  const row = page.locator("tbody tr").last();
  await row.getByRole("button", { name: "Issue a new link" }).click();
  const link = await page.locator(".fresh-link input").first().inputValue();
  speakerPath = new URL(link).pathname;
  // A shift board needs a shift (reverted after the run).
  const shifted = await request.post("/api/v1/events/demo/shifts", {
    headers: auth(),
    data: { tracks: ["track-3"], from: "18:00", date: "2026-11-23", by_minutes: 10, reason: "a11y check" },
  });
  expect(shifted.status()).toBe(201);
  shiftId = (await shifted.json()).shift_id;
  await ctx.close();
});

test.afterAll(async ({ request }) => {
  if (shiftId) {
    const reverted = await request.post(`/api/v1/events/demo/shifts/${shiftId}/revert`, { headers: auth(), data: {} });
    expect(reverted.status()).toBe(201);
  }
});

const publicPages: [string, () => string, typeof PHONE?][] = [
  ["home", () => "/"],
  ["schedule", () => "/e/demo"],
  ["schedule on a phone", () => "/e/demo", PHONE],
  ["status on a phone", () => "/e/demo/status", PHONE],
  ["schedule (ru)", () => "/e/demo?lang=ru"],
  ["schedule (zh)", () => "/e/demo?lang=zh"],
  ["status", () => "/e/demo/status"],
  ["changelog", () => "/e/demo/changes"],
  ["session", () => sessionPath],
  ["track screen", () => "/e/demo/screen/track-1"],
  ["track screen, light theme", () => "/e/demo/screen/track-2?theme=light"],
  ["lobby screen", () => "/e/demo/screen"],
  ["screen help", () => "/e/demo/screen?help=1"],
  ["speaker", () => speakerPath],
  ["login", () => "/login"],
  ["not found", () => "/e/no-such-event"],
];

const organiserPages: [string, () => string][] = [
  ["admin", () => "/admin"],
  ["dashboard", () => "/admin/e/demo"],
  ["shift", () => "/admin/e/demo/shift"],
  ["shift preview", () => "/admin/e/demo/shift?tracks=all&from=17%3A25&to=18%3A15"],
  ["shift board", () => `/admin/e/demo/shifts/${shiftId}`],
  ["screens admin", () => "/admin/e/demo/screens"],
  ["speakers admin", () => "/admin/e/demo/speakers"],
  ["re-plan (one talk)", () => "/admin/e/demo/talks"],
];

for (const scheme of SCHEMES) {
  for (const [name, path, viewport] of publicPages) {
    test(`axe finds nothing on the ${name} page (${scheme})`, async ({ browser }) => {
      const ctx = await context(browser, scheme, undefined, viewport);
      const page = await ctx.newPage();
      await page.goto(path());
      // The "Notify me" card is hidden until push.js reveals it: check it shown.
      const push = page.locator("#push");
      if (await push.count()) await expect(push).toBeVisible();
      await check(page, name, scheme);
      await ctx.close();
    });
  }
  for (const [name, path] of organiserPages) {
    test(`axe finds nothing on the organiser's ${name} page (${scheme})`, async ({ browser }) => {
      const ctx = await context(browser, scheme, STATE);
      const page = await ctx.newPage();
      const res = await page.goto(path());
      expect(page.url(), "still signed in").not.toMatch(/\/login$/);
      expect(res?.status()).toBe(200);
      await check(page, name, scheme);
      await ctx.close();
    });
  }
}

// Incidents colour banners, status words, the overall indicator, the
// uptime bars and the screens' notes: the same pages again with one open
// incident of each impact and a maintenance running and one upcoming.
test.describe("with incidents open", () => {
  const names: Record<string, string> = {};

  test.beforeAll(async ({ request }) => {
    const now = Date.now();
    const iso = (ms: number) => new Date(now + ms).toISOString().replace(/\.\d+Z$/, "Z");
    const inputs = [
      { name: "Track 1 audio drops", impact: "minor", components: ["Track 1 stream"], component_status: "degraded_performance", close: "resolved" },
      { name: "Track 2 player stalls", impact: "major", components: ["Track 2 stream"], component_status: "partial_outage", close: "resolved" },
      { name: "Track 3 stream down", impact: "critical", components: ["Track 3 stream"], component_status: "major_outage", close: "resolved" },
      { name: "Track 4 encoder swap", status: "in_progress", components: ["Track 4 stream"], scheduled_for: iso(-60_000), scheduled_until: iso(3_600_000), close: "completed" },
      { name: "Platform upgrade", status: "scheduled", components: [], scheduled_for: iso(86_400_000), scheduled_until: iso(90_000_000), close: "completed" },
    ];
    for (const { close, ...input } of inputs) {
      const res = await request.post("/api/v1/events/demo/incidents", {
        headers: auth(),
        data: { body: "Engineers are on it; **next update** in 15 minutes.", ...input },
      });
      expect(res.status(), await res.text()).toBe(201);
      names[input.name] = close;
    }
  });

  test.afterAll(async ({ request }) => {
    // Maintenances are not in the write's answer: find ours by name.
    const ids = new Map<string, string>();
    for (const doc of ["incidents/unresolved.json", "scheduled-maintenances.json"]) {
      const body = await (await request.get(`/e/demo/api/v2/${doc}`)).json();
      for (const i of [...(body.incidents ?? []), ...(body.scheduled_maintenances ?? [])]) {
        if (i.name in names) ids.set(i.id, names[i.name]);
      }
    }
    expect(ids.size).toBe(Object.keys(names).length);
    for (const [id, close] of ids) {
      const res = await request.post(`/api/v1/events/demo/incidents/${id}/updates`, {
        headers: auth(),
        data: { status: close, body: "Done." },
      });
      expect(res.status(), await res.text()).toBe(201);
    }
  });

  const pages: [string, () => string, boolean][] = [
    ["schedule", () => "/e/demo", false],
    ["status", () => "/e/demo/status", false],
    ["changelog", () => "/e/demo/changes", false],
    ["session", () => sessionPath, false],
    ["track screen", () => "/e/demo/screen/track-3", false],
    ["track screen, light theme", () => "/e/demo/screen/track-1?theme=light", false],
    ["lobby screen", () => "/e/demo/screen", false],
    ["speaker", () => speakerPath, false],
    ["dashboard", () => "/admin/e/demo", true],
  ];
  for (const scheme of SCHEMES) {
    for (const [name, path, organiser] of pages) {
      test(`axe finds nothing on the ${name} page during incidents (${scheme})`, async ({ browser }) => {
        const ctx = await context(browser, scheme, organiser ? STATE : undefined);
        const page = await ctx.newPage();
        await page.goto(path());
        await check(page, `${name}, incidents open`, scheme);
        await ctx.close();
      });
    }
  }
});
